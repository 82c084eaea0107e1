// SPDX-License-Identifier: MIT
// What the option table (option_table.hpp) says about one option: enough to parse it,
// print it in --help, and write it into docs/options.md, README.md and a man page.
#pragma once

#include <string_view>

namespace kmr::opt {

enum class option_kind {
  flag,   // a bare word ("tls"); "tls=1" is an error
  value,  // key=value ("threads=2")
};

// Which program acts on the option. The other one accepts it quietly, because SIP003
// hosts pass one string to both ends.
enum class option_side { client, server, both };

// The sections of --help, in their order there.
enum class option_group { layers, behaviour, udp_over_tcp, operations, balancing };

struct option_spec {
  std::string_view name{};  // matched exactly, case-sensitive
  option_kind kind = option_kind::value;
  option_side side = option_side::both;
  option_group group = option_group::behaviour;
  // The flag of the layer the option belongs to ("ws", "tls", "uot"), or empty. It picks
  // the option's docs/options.md section.
  std::string_view layer{};
  std::string_view placeholder{};  // "DUR", "FILE", "skip|fixed|standard"; empty for flags
  // Plain text: "10s", "0: off", "one per core". Empty when there is none (flags are off).
  std::string_view default_text{};
  bool required = false;  // required on its side when its layer is on (host=, path=, sni=)
  // The original reads a bare key ("path") as absent, and so do we for its layer options;
  // a bare key of any other value option is an error ("needs a value").
  bool bare_means_absent = false;
  std::string_view help{};         // one line for --help, without the side or the default
  std::string_view description{};  // the docs' text, Markdown (`code` spans), one paragraph
};

// A section of --help and of the docs.
struct option_group_spec {
  option_group group;
  std::string_view key;    // "layers", "behaviour", "udp-over-tcp", "operations"
  std::string_view title;  // the --help heading, without the colon
  std::string_view note;   // printed under the group's options in --help, or empty
};

constexpr std::string_view to_string(option_side s) noexcept {
  switch (s) {
    case option_side::client: return "client";
    case option_side::server: return "server";
    case option_side::both: return "both";
  }
  return "?";
}

}  // namespace kmr::opt

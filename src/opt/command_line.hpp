// SPDX-License-Identifier: MIT
// What the command line and the SIP003 variables ask the program to do.
#pragma once

#include "core/expected.hpp"
#include "opt/address.hpp"
#include "opt/config.hpp"
#include "opt/sip003_env.hpp"

#include <span>
#include <string>
#include <variant>
#include <vector>

namespace kmr::opt {

struct show_help {};
struct show_version {};
struct run_tunnel {
  host_port listen;     // where this process accepts connections
  std::vector<host_port> remotes;  // where it connects: one address, or a list (balance=)
  std::string options;  // the raw option string
  bool sip003 = false;  // addresses came from SS_* variables
};
using cli_request = std::variant<show_help, show_version, run_tunnel>;

struct usage_error {
  std::string message;      // one line
  bool show_usage = false;  // also print the short usage
};

// `args` excludes argv[0]. SIP003 mode wins when its variables are set; then the client
// listens on SS_LOCAL_* and connects to SS_REMOTE_*, and the server swaps the two.
expected<cli_request, usage_error> parse_command_line(side role, std::span<const std::string> args,
                                                      const env_lookup& env);

std::string program_name(side role);
std::string short_usage(side role);
std::string help_text(side role);  // usage plus every option

}  // namespace kmr::opt

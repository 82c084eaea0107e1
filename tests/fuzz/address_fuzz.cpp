// SPDX-License-Identifier: MIT
// libFuzzer target: address parsing (one address, or a list of remotes) must accept or
// reject any byte string without crashing, and what it accepts must print and parse back
// to the same address or list.
#include "opt/address.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

void check_round_trip(const kmr::opt::host_port& a) {
  check(!a.host.empty());
  const auto again = kmr::opt::parse_host_port(a.to_string());
  check(again && *again == a);
  check(!a.host_is_ipv6_literal() || a.host_is_ip_literal());
}

}  // namespace

void check_list(const kmr::expected<std::vector<kmr::opt::host_port>, std::string>& list) {
  if (!list) {
    check(!list.error().empty());
    return;
  }
  check(!list->empty());
  for (const auto& a : *list) check_round_trip(a);
  const auto again = kmr::opt::parse_host_port_list(kmr::opt::to_string(*list));
  check(again && *again == *list);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto a = kmr::opt::parse_host_port(text)) {
    check_round_trip(*a);
  } else {
    check(!a.error().empty());
  }
  check_list(kmr::opt::parse_host_port_list(text));
  // The first byte chooses where to split the rest into a SIP003 host and port.
  if (size == 0) return 0;
  const std::string_view rest = text.substr(1);
  const std::size_t cut = data[0] % (rest.size() + 1);
  if (const auto a = kmr::opt::make_host_port(rest.substr(0, cut), rest.substr(cut))) {
    check_round_trip(*a);
    check(kmr::opt::parse_port(rest.substr(cut)).has_value());
  }
  check_list(kmr::opt::make_host_port_list(rest.substr(0, cut), rest.substr(cut)));
  return 0;
}

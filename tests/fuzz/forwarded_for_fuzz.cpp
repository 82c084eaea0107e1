// SPDX-License-Identifier: MIT
// libFuzzer target: the client-address picker on arbitrary header values. The input is
// split at NUL bytes into X-Forwarded-For, X-Real-IP and Forwarded (missing parts are
// empty). Beyond not crashing, whatever it returns must be a bare IP literal.
#include "ws/forwarded_for.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

// Checked with inet_pton directly rather than with net::parse_ip, which the code under
// test uses itself.
void check_literal(const std::optional<std::string>& ip) {
  if (!ip) return;
  check(!ip->empty() && ip->find('\0') == std::string::npos);
  unsigned char buf[sizeof(in6_addr)];
  check(::inet_pton(AF_INET, ip->c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip->c_str(), buf) == 1);
}

std::string_view next_part(std::string_view& rest) {
  const std::size_t nul = rest.find('\0');
  const std::string_view part = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto some = kmr::net::cidr_list::parse("10.0.0.0/8,::1");
  static const auto all = kmr::net::cidr_list::parse("0.0.0.0/0,::/0");
  check(some && all);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view xff = next_part(rest);
  const std::string_view real_ip = next_part(rest);
  const std::string_view forwarded = rest;  // may hold more NULs: they are junk to refuse

  check_literal(kmr::ws::forwarded_client(xff, real_ip, forwarded, *some));
  // With everything trusted the left-most element is the answer, if any.
  check_literal(kmr::ws::forwarded_client(xff, real_ip, forwarded, *all));
  // Each header on its own, so that the later ones are reached whatever the first holds.
  check_literal(kmr::ws::forwarded_client("", real_ip, "", *some));
  check_literal(kmr::ws::forwarded_client("", "", forwarded, *some));
  return 0;
}

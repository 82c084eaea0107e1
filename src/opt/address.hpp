// SPDX-License-Identifier: MIT
// Host-and-port addresses as users write them: "1.2.3.4:80", "[::1]:80", "name:443",
// and, as SIP003 hosts pass them, a bare IPv6 host ("::1") beside a separate port.
#pragma once

#include "core/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::opt {

struct host_port {
  std::string host;  // an IPv4 literal, an IPv6 literal without brackets, or a DNS name
  std::uint16_t port = 0;

  bool host_is_ipv6_literal() const noexcept;
  bool host_is_ip_literal() const noexcept;
  // "1.2.3.4:80", "[::1]:80" or "name:443": the form users write and logs print.
  std::string to_string() const;
  friend bool operator==(const host_port&, const host_port&) = default;
};

// Parses "<host>:<port>". The host may be bracketed IPv6 ("[::1]:80"); an unbracketed
// IPv6 literal is also accepted by splitting at the last ':' ("::1:80" is ::1 port 80),
// as the original does. The port is decimal 0-65535 (0 lets the system choose when
// listening). On failure, the message says what is wrong, without the key name.
expected<host_port, std::string> parse_host_port(std::string_view text);

// Builds an address from a separate host and port, as SIP003 passes them. The host may be
// bare ("::1", "example.com") or bracketed ("[::1]").
expected<host_port, std::string> make_host_port(std::string_view host, std::string_view port);

// Parses a comma-separated list of addresses ("a:443,[::1]:444,b.example:443"), each as
// parse_host_port does; a list of one is parse_host_port itself. An empty item, a bad one
// or one listed twice is an error naming it by position ("item 2 ('x'): ...").
expected<std::vector<host_port>, std::string> parse_host_port_list(std::string_view text);

// The list as parse_host_port_list reads it: "a:443,[::1]:444".
std::string to_string(const std::vector<host_port>& list);

// As above, for SIP003: a comma-separated list of hosts ("a.example,::1") sharing one port.
expected<std::vector<host_port>, std::string> make_host_port_list(std::string_view hosts, std::string_view port);

// Parses a decimal port "0".."65535" with nothing else around it.
expected<std::uint16_t, std::string> parse_port(std::string_view text);

}  // namespace kmr::opt

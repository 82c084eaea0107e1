// SPDX-License-Identifier: MIT
// IP literals as text, to and from sockaddr_storage: the one strict parser (inet_pton)
// that the PROXY header, the trusted-proxy list and the forwarded-for picker all share.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kmr::net {

// The longest IP literal inet_pton accepts: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
inline constexpr std::size_t max_ip_literal = 45;

// Parses a bare IPv4 ("1.2.3.4", no leading zeros) or IPv6 ("::1", "::ffff:1.2.3.4")
// literal into an AF_INET or AF_INET6 address with port 0. No brackets, port, zone or
// surrounding space; an embedded NUL is refused, not read as the end of the text.
std::optional<sockaddr_storage> parse_ip(std::string_view text) noexcept;

// The address of an AF_INET or AF_INET6 sockaddr as inet_ntop writes it ("1.2.3.4",
// "2001:db8::1"), without port or brackets; "" for any other family.
std::string ip_text(const sockaddr_storage& address);

// The port of an AF_INET or AF_INET6 sockaddr in host order; 0 for any other family.
unsigned port_of(const sockaddr_storage& address) noexcept;

// Sets the port (given in host order) of an AF_INET or AF_INET6 sockaddr; other
// families are left alone.
void set_port(sockaddr_storage& address, std::uint16_t port) noexcept;

// The IPv4-mapped IPv6 form (::ffff:1.2.3.4) of an AF_INET address, port kept; any
// other address is returned as it is.
sockaddr_storage to_v4_mapped(const sockaddr_storage& address) noexcept;

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// A list of IP networks ("10.0.0.0/8,::1") that a peer address is checked against:
// the proxies trusted to send a PROXY header or X-Forwarded-For.
#pragma once

#include "core/expected.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::net {

class cidr_list {
 public:
  // Parses comma-separated items, each ADDR or ADDR/BITS ("10.0.0.0/8,192.168.1.7,
  // ::1/128,fd00::/8"). A bare address is a /32 or /128 network. Spaces and tabs around
  // items are ignored; an empty list or an empty item is an error. Host bits below the
  // prefix are accepted and cleared ("10.0.0.1/8" is 10.0.0.0/8). An IPv6 item inside
  // ::ffff:0:0/96 (IPv4-mapped) is stored as the IPv4 network it covers. The error names
  // the offending item, quoted, e.g. "'10.0.0.0/33' is not an address or ADDR/BITS".
  static expected<cidr_list, std::string> parse(std::string_view text);

  // True if the address is inside one of the networks; the port is ignored. An
  // IPv4-mapped IPv6 address (::ffff:1.2.3.4, as a dual-stack socket reports an IPv4
  // peer) is checked as the IPv4 address it carries, so "::/0" does not cover IPv4
  // peers: write "0.0.0.0/0,::/0" to trust every address. Other families never match.
  bool contains(const sockaddr_storage& address) const noexcept;

  // The same for an IP literal without port or brackets ("1.2.3.4", "::1"); false for
  // anything that is not one.
  bool contains_text(std::string_view ip) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }

  // The networks in canonical form, comma-separated ("10.0.0.0/8,::1/128"), for logs.
  std::string to_string() const;

 private:
  struct network {
    std::array<std::uint8_t, 16> prefix{};  // IPv4 networks use the first 4 bytes
    unsigned bits = 0;
    bool v4 = false;
  };

  cidr_list() = default;
  bool contains_raw(const std::uint8_t* address, bool v4) const noexcept;

  std::vector<network> entries_;
};

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
#include "net/cidr.hpp"

#include "core/quoted_text.hpp"
#include "net/ip_literal.hpp"

#include <netinet/in.h>

#include <cstring>
#include <optional>

namespace kmr::net {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Prefix lengths are plain decimal without sign or leading zeros ("/08" is refused, as
// a leading zero reads as octal in some tools).
std::optional<unsigned> parse_bits(std::string_view text, unsigned max) noexcept {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text.front() == '0'))
    return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_v4_mapped(const std::uint8_t* bytes16) noexcept {
  return std::memcmp(bytes16, mapped_prefix, sizeof mapped_prefix) == 0;
}

// The address bytes (4 or 16) of an AF_INET / AF_INET6 sockaddr, IPv4-mapped IPv6
// reduced to its IPv4 part. False for other families.
bool address_bytes(const sockaddr_storage& ss, std::array<std::uint8_t, 16>& out,
                   bool& v4) noexcept {
  if (ss.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &ss, sizeof in);
    std::memcpy(out.data(), &in.sin_addr, 4);
    v4 = true;
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &ss, sizeof in6);
    const auto* raw = reinterpret_cast<const std::uint8_t*>(&in6.sin6_addr);
    v4 = is_v4_mapped(raw);
    if (v4)
      std::memcpy(out.data(), raw + 12, 4);
    else
      std::memcpy(out.data(), raw, 16);
    return true;
  }
  return false;
}

// True if the first `bits` bits of a and b agree.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) noexcept {
  const unsigned whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Clears every bit after the first `bits` (10.0.0.1/8 -> 10.0.0.0/8).
void clear_host_bits(std::array<std::uint8_t, 16>& prefix, unsigned bits) noexcept {
  for (unsigned i = 0; i < prefix.size(); ++i) {
    if (i * 8 >= bits)
      prefix[i] = 0;
    else if (i * 8 + 8 > bits)
      prefix[i] = static_cast<std::uint8_t>(prefix[i] & (0xff << (8 - (bits - i * 8))));
  }
}

}  // namespace

expected<cidr_list, std::string> cidr_list::parse(std::string_view text) {
  if (trim(text).empty()) return unexpected(std::string("the address list is empty"));
  cidr_list out;
  for (;;) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (item.empty())
      return unexpected(std::string("the address list has an empty item (two commas?)"));

    const std::size_t slash = item.find('/');
    const auto address = parse_ip(item.substr(0, slash));
    network net;
    std::optional<unsigned> bits;
    if (address && address_bytes(*address, net.prefix, net.v4)) {
      // A mapped IPv6 item is an IPv4 network when its prefix lies inside ::ffff:0:0/96.
      const bool was_v6 = address->ss_family == AF_INET6;
      const unsigned max = net.v4 ? (was_v6 ? 128u : 32u) : 128u;
      bits = slash == std::string_view::npos ? std::optional(max)
                                             : parse_bits(item.substr(slash + 1), max);
      if (bits && net.v4 && was_v6) {
        if (*bits < 96) {  // wider than the mapped range: keep it as the IPv6 network
          net.v4 = false;
          std::memcpy(net.prefix.data() + 12, net.prefix.data(), 4);
          std::memcpy(net.prefix.data(), mapped_prefix, sizeof mapped_prefix);
        } else {
          *bits -= 96;
        }
      }
    }
    if (!bits) return unexpected(quoted_for_log(item) + " is not an address or ADDR/BITS");
    net.bits = *bits;
    clear_host_bits(net.prefix, net.bits);
    out.entries_.push_back(net);

    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool cidr_list::contains_raw(const std::uint8_t* address, bool v4) const noexcept {
  for (const network& net : entries_) {
    if (net.v4 == v4 && same_prefix(net.prefix.data(), address, net.bits)) return true;
  }
  return false;
}

bool cidr_list::contains(const sockaddr_storage& address) const noexcept {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
  return address_bytes(address, bytes, v4) && contains_raw(bytes.data(), v4);
}

bool cidr_list::contains_text(std::string_view ip) const noexcept {
  const auto address = parse_ip(ip);
  return address && contains(*address);
}

std::string cidr_list::to_string() const {
  std::string out;
  for (const network& net : entries_) {
    sockaddr_storage ss{};
    if (net.v4) {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      std::memcpy(&in.sin_addr, net.prefix.data(), 4);
      std::memcpy(&ss, &in, sizeof in);
    } else {
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      std::memcpy(&in6.sin6_addr, net.prefix.data(), 16);
      std::memcpy(&ss, &in6, sizeof in6);
    }
    if (!out.empty()) out.push_back(',');
    out += ip_text(ss) + "/" + std::to_string(net.bits);
  }
  return out;
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// Version 2 of the PROXY header: a 16-byte binary prefix, the address block and TLVs
// (spec §2.2), each part checked as soon as its bytes are there.
#include "proxy/proxy_detail.hpp"

#include "proxy/v2_format.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace kmr::proxy::detail {
namespace {

parse_result invalid(const char* why) {
  parse_result r;
  r.status = parse_status::invalid;
  r.error = why;
  return r;
}

std::uint8_t byte_at(std::span<const std::byte> data, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(data[i]);
}

std::size_t u16_at(std::span<const std::byte> data, std::size_t i) noexcept {
  return static_cast<std::size_t>(byte_at(data, i)) << 8 | byte_at(data, i + 1);
}

// The address block as the family and protocol byte lays it out: its size, and whether
// it holds addresses we can use. size 0 with known == false: the layout is unknown
// (an UNSPEC family or protocol), so the whole block is opaque and skipped.
struct address_layout {
  bool known = false;
  bool usable = false;
  std::size_t size = 0;
};

address_layout layout_of(unsigned family, unsigned protocol) noexcept {
  if (protocol == v2::proto_unspec) return {};
  switch (family) {
    case v2::family_inet: return {true, true, v2::inet_block};
    case v2::family_inet6: return {true, true, v2::inet6_block};
    case v2::family_unix: return {true, false, v2::unix_block};
    default: return {};
  }
}

// Reads the addresses of a complete INET or INET6 block: the two addresses, then the
// two ports, all in network order, copied as they are into the sockaddrs.
void read_addresses(std::span<const std::byte> block, unsigned family, header& h) {
  if (family == v2::family_inet) {
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    std::memcpy(&src.sin_addr, block.data(), 4);
    std::memcpy(&dst.sin_addr, block.data() + 4, 4);
    std::memcpy(&src.sin_port, block.data() + 8, 2);
    std::memcpy(&dst.sin_port, block.data() + 10, 2);
    std::memcpy(&h.source, &src, sizeof src);
    std::memcpy(&h.destination, &dst, sizeof dst);
    return;
  }
  sockaddr_in6 src{}, dst{};
  src.sin6_family = dst.sin6_family = AF_INET6;
  std::memcpy(&src.sin6_addr, block.data(), 16);
  std::memcpy(&dst.sin6_addr, block.data() + 16, 16);
  std::memcpy(&src.sin6_port, block.data() + 32, 2);
  std::memcpy(&dst.sin6_port, block.data() + 34, 2);
  std::memcpy(&h.source, &src, sizeof src);
  std::memcpy(&h.destination, &dst, sizeof dst);
}

}  // namespace

parse_result parse_v2(std::span<const std::byte> data) {
  const std::size_t sig = std::min(data.size(), v2::signature.size());
  if (std::memcmp(data.data(), v2::signature.data(), sig) != 0)
    return invalid("bad v2 signature");
  if (data.size() <= v2::signature.size()) return {};

  const unsigned ver = byte_at(data, 12) >> 4;
  const unsigned command = byte_at(data, 12) & 0x0f;
  if (ver != v2::version) return invalid("v2 header with a version other than 2");
  if (command != v2::command_local && command != v2::command_proxy)
    return invalid("v2 header with an unknown command");
  if (data.size() < 14) return {};

  // For LOCAL the family is ignored (spec §2.2: "discard the protocol block including
  // the family"); for PROXY an unknown one must be refused.
  const unsigned family = byte_at(data, 13) >> 4;
  const unsigned protocol = byte_at(data, 13) & 0x0f;
  const bool proxy = command == v2::command_proxy;
  if (proxy && family > v2::family_unix) return invalid("v2 header with an unknown family");
  if (proxy && protocol > v2::proto_dgram) return invalid("v2 header with an unknown protocol");
  if (data.size() < v2::fixed_size) return {};

  const std::size_t total = v2::fixed_size + u16_at(data, 14);
  if (total > max_v2_header) return invalid("v2 header too large");
  const address_layout layout = proxy ? layout_of(family, protocol) : address_layout{};
  if (layout.known && total < v2::fixed_size + layout.size)
    return invalid("v2 address block too short for its family");

  // TLVs after the addresses: checked as far as the bytes go, so that one running past
  // the header is refused before the rest arrives. Their contents are not used.
  if (layout.known) {
    std::size_t pos = v2::fixed_size + layout.size;
    while (pos < total) {
      if (total - pos < v2::tlv_head) return invalid("v2 TLV runs past the header");
      if (data.size() < pos + v2::tlv_head) return {};
      const std::size_t length = u16_at(data, pos + 1);
      if (total - pos - v2::tlv_head < length) return invalid("v2 TLV runs past the header");
      pos += v2::tlv_head + length;
    }
  }
  if (data.size() < total) return {};

  parse_result r;
  r.status = parse_status::complete;
  r.consumed = total;
  r.value.datagram = proxy && protocol == v2::proto_dgram;
  r.value.local = !layout.usable;
  if (layout.usable) read_addresses(data.subspan(v2::fixed_size, layout.size), family, r.value);
  return r;
}

}  // namespace kmr::proxy::detail

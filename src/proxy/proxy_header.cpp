// SPDX-License-Identifier: MIT
#include "proxy/proxy_header.hpp"

#include "net/ip_literal.hpp"
#include "proxy/proxy_detail.hpp"
#include "proxy/v2_format.hpp"

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace kmr::proxy {
namespace {

bool is_inet(const sockaddr_storage& a) noexcept {
  return a.ss_family == AF_INET || a.ss_family == AF_INET6;
}

// The two addresses in one family, as both versions need them: if they differ, the
// IPv4 one becomes IPv4-mapped IPv6.
std::pair<sockaddr_storage, sockaddr_storage> same_family(const header& h) noexcept {
  if (h.source.ss_family == h.destination.ss_family) return {h.source, h.destination};
  return {net::to_v4_mapped(h.source), net::to_v4_mapped(h.destination)};
}

// The v2 header is built in a fixed buffer (16 + 36 bytes at most) and copied out once.
class v2_writer {
 public:
  v2_writer() { bytes(v2::signature.data(), v2::signature.size()); }
  void byte(std::size_t v) noexcept { buf_[size_++] = static_cast<std::byte>(v & 0xff); }
  void u16(std::size_t v) noexcept {
    byte(v >> 8);
    byte(v);
  }
  void bytes(const void* p, std::size_t n) noexcept {
    std::memcpy(buf_.data() + size_, p, n);
    size_ += n;
  }
  std::vector<std::byte> take() const {
    return {buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(size_)};
  }

 private:
  std::array<std::byte, v2::fixed_size + v2::inet6_block> buf_{};
  std::size_t size_ = 0;
};

std::vector<std::byte> to_bytes(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

}  // namespace

parse_result parse(std::span<const std::byte> data) {
  if (data.empty()) return {};
  // The two versions start differently ('P' of "PROXY", '\r' of the v2 signature),
  // so one byte decides which parser goes on (spec §2.2, "identifying the version").
  if (data.front() == std::byte{'P'})
    return detail::parse_v1(
        std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  if (data.front() == std::byte{'\r'}) return detail::parse_v2(data);
  parse_result r;
  r.status = parse_status::invalid;
  r.error = "not a PROXY protocol header";
  return r;
}

std::vector<std::byte> build_v1(const header& h) {
  if (h.local || h.datagram || !is_inet(h.source) || !is_inet(h.destination))
    return to_bytes("PROXY UNKNOWN\r\n");
  const auto [source, destination] = same_family(h);
  std::string line = source.ss_family == AF_INET ? "PROXY TCP4 " : "PROXY TCP6 ";
  line += net::ip_text(source);
  line += ' ';
  line += net::ip_text(destination);
  line += ' ';
  line += std::to_string(net::port_of(source));
  line += ' ';
  line += std::to_string(net::port_of(destination));
  line += "\r\n";
  return to_bytes(line);
}

std::vector<std::byte> build_v2(const header& h) {
  v2_writer out;
  if (h.local) {
    out.byte(v2::version << 4 | v2::command_local);
    out.byte(v2::family_unspec << 4 | v2::proto_unspec);
    out.u16(0);
    return out.take();
  }
  out.byte(v2::version << 4 | v2::command_proxy);
  if (!is_inet(h.source) || !is_inet(h.destination)) {
    // "The sender should use this family ... when dealing with unsupported protocol
    // families" (spec §2.2): PROXY with AF_UNSPEC and no address block.
    out.byte(v2::family_unspec << 4 | v2::proto_unspec);
    out.u16(0);
    return out.take();
  }
  const unsigned protocol = h.datagram ? v2::proto_dgram : v2::proto_stream;
  const auto [source, destination] = same_family(h);
  if (source.ss_family == AF_INET) {
    sockaddr_in src{}, dst{};
    std::memcpy(&src, &source, sizeof src);
    std::memcpy(&dst, &destination, sizeof dst);
    out.byte(v2::family_inet << 4 | protocol);
    out.u16(v2::inet_block);
    out.bytes(&src.sin_addr, 4);
    out.bytes(&dst.sin_addr, 4);
    out.bytes(&src.sin_port, 2);  // already in network order
    out.bytes(&dst.sin_port, 2);
    return out.take();
  }
  sockaddr_in6 src{}, dst{};
  std::memcpy(&src, &source, sizeof src);
  std::memcpy(&dst, &destination, sizeof dst);
  out.byte(v2::family_inet6 << 4 | protocol);
  out.u16(v2::inet6_block);
  out.bytes(&src.sin6_addr, 16);
  out.bytes(&dst.sin6_addr, 16);
  out.bytes(&src.sin6_port, 2);
  out.bytes(&dst.sin6_port, 2);
  return out.take();
}

}  // namespace kmr::proxy

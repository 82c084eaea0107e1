// SPDX-License-Identifier: MIT
#include "net/ip_literal.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace kmr::net {
namespace {

// sockaddr_storage is read and written through memcpy rather than through a cast
// reference: it costs nothing and keeps the code clear of aliasing questions.
template <class Sockaddr>
sockaddr_storage to_storage(const Sockaddr& in) noexcept {
  static_assert(sizeof(Sockaddr) <= sizeof(sockaddr_storage));
  sockaddr_storage out{};
  std::memcpy(&out, &in, sizeof in);
  return out;
}

template <class Sockaddr>
Sockaddr from_storage(const sockaddr_storage& in) noexcept {
  Sockaddr out{};
  std::memcpy(&out, &in, sizeof out);
  return out;
}

}  // namespace

std::optional<sockaddr_storage> parse_ip(std::string_view text) noexcept {
  // inet_pton needs a NUL-terminated copy; nothing valid is longer than max_ip_literal,
  // so the copy fits on the stack and hostile lengths are refused before any work.
  char copy[max_ip_literal + 1];
  if (text.empty() || text.size() > max_ip_literal) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  text.copy(copy, text.size());
  copy[text.size()] = '\0';

  if (text.find(':') == std::string_view::npos) {
    sockaddr_in v4{};
    if (::inet_pton(AF_INET, copy, &v4.sin_addr) != 1) return std::nullopt;
    v4.sin_family = AF_INET;
    return to_storage(v4);
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, copy, &v6.sin6_addr) != 1) return std::nullopt;
  v6.sin6_family = AF_INET6;
  return to_storage(v6);
}

std::string ip_text(const sockaddr_storage& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  const char* done = nullptr;
  if (address.ss_family == AF_INET) {
    const auto v4 = from_storage<sockaddr_in>(address);
    done = ::inet_ntop(AF_INET, &v4.sin_addr, buf, sizeof buf);
  } else if (address.ss_family == AF_INET6) {
    const auto v6 = from_storage<sockaddr_in6>(address);
    done = ::inet_ntop(AF_INET6, &v6.sin6_addr, buf, sizeof buf);
  }
  return done != nullptr ? std::string(buf) : std::string();
}

unsigned port_of(const sockaddr_storage& address) noexcept {
  if (address.ss_family == AF_INET) return ntohs(from_storage<sockaddr_in>(address).sin_port);
  if (address.ss_family == AF_INET6) return ntohs(from_storage<sockaddr_in6>(address).sin6_port);
  return 0;
}

void set_port(sockaddr_storage& address, std::uint16_t port) noexcept {
  if (address.ss_family == AF_INET) {
    auto v4 = from_storage<sockaddr_in>(address);
    v4.sin_port = htons(port);
    address = to_storage(v4);
  } else if (address.ss_family == AF_INET6) {
    auto v6 = from_storage<sockaddr_in6>(address);
    v6.sin6_port = htons(port);
    address = to_storage(v6);
  }
}

sockaddr_storage to_v4_mapped(const sockaddr_storage& address) noexcept {
  if (address.ss_family != AF_INET) return address;
  const auto v4 = from_storage<sockaddr_in>(address);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4.sin_port;
  auto* bytes = reinterpret_cast<unsigned char*>(&v6.sin6_addr);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  std::memcpy(bytes + 12, &v4.sin_addr, 4);
  return to_storage(v6);
}

}  // namespace kmr::net

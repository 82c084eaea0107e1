// SPDX-License-Identifier: MIT
// The address a session's connection (or UDP flow) comes from, as its log lines name it.
// It is formatted only when a line is written: formatting it up front for every
// connection, mostly for debug lines that are off, took 12% of a plain server's CPU.
#pragma once

#include "core/asio.hpp"

#include <fmt/core.h>

#include <optional>
#include <string>

namespace kmr::app {

class peer_name {
 public:
  // The socket's peer, read now (later it may be gone).
  explicit peer_name(const tcp::socket& s);
  explicit peer_name(const udp::endpoint& from) : address_(tcp::endpoint(from.address(), from.port())) {}
  // An address a balancer told us (a PROXY header, X-Forwarded-For): AF_INET or AF_INET6,
  // any other family gives an unknown peer.
  explicit peer_name(const sockaddr_storage& address);

  // "1.2.3.4:5678", "[::1]:5678", "1.2.3.4" when the port is not known (0: a forwarding
  // header names none), or "?" when the peer was already gone.
  std::string to_string() const;
  const std::optional<tcp::endpoint>& endpoint() const noexcept { return address_; }

 private:
  std::optional<tcp::endpoint> address_;
};

}  // namespace kmr::app

template <>
struct fmt::formatter<kmr::app::peer_name> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <class Context>
  auto format(const kmr::app::peer_name& p, Context& ctx) const {
    return fmt::format_to(ctx.out(), "{}", p.to_string());
  }
};

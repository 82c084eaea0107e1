// SPDX-License-Identifier: MIT
#include "net/socket_options.hpp"

#include <fmt/core.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace kmr::net {

namespace {

void tune(int fd, std::chrono::milliseconds keepalive_idle) noexcept {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (keepalive_idle.count() == 0) return;
  const int idle = static_cast<int>(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(keepalive_idle).count()));
  // Probe every 10 s (or sooner for short idle times), give up after 6 unanswered probes:
  // a dead peer is found within idle + 60 s.
  const int interval = std::min(idle, 10);
  const int count = 6;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

void tune_connection(tcp::socket& s, std::chrono::milliseconds keepalive_idle) noexcept {
  tune(s.native_handle(), keepalive_idle);
}

void tune_listener(tcp::acceptor& a, std::chrono::milliseconds keepalive_idle) noexcept {
  tune(a.native_handle(), keepalive_idle);
}

void reset_on_close(tcp::socket& s) noexcept {
  error_code ignored;
  s.set_option(asio::socket_base::linger(true, 0), ignored);
}

std::string to_string(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace kmr::net

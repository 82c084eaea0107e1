// SPDX-License-Identifier: MIT
#include "app/listeners.hpp"

#include "core/log.hpp"
#include "net/listener.hpp"
#include "net/socket_options.hpp"
#include "net/udp_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

namespace kmr::app {
namespace {

bool is_uot_client(const opt::tunnel_config& c) { return c.uot && c.role == opt::side::client; }

error_code last_error() { return error_code(errno, boost::system::system_category()); }

// The address family of a socket we did not open, for Asio's protocol object.
std::optional<int> family_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return std::nullopt;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return std::nullopt;
  return address.ss_family;
}

// Each worker gets its own descriptor of the one inherited socket (dup): the workers then
// share its accept queue, and closing one worker's copy leaves the socket to the others
// and to systemd.
bool adopt_inherited(std::list<worker>& workers, const sys::inherited_socket& s, bool datagram) {
  const auto family = family_of(s.fd);
  if (!family) {
    log::error("the socket passed by systemd (fd {}) is not an IPv4 or IPv6 socket", s.fd);
    return false;
  }
  const bool v6 = *family == AF_INET6;
  for (auto& w : workers) {
    const int fd = ::fcntl(s.fd, F_DUPFD_CLOEXEC, 3);
    error_code ec = fd < 0 ? last_error() : error_code();
    if (!ec && datagram) {
      udp::socket socket(w.io());
      socket.assign(v6 ? udp::v6() : udp::v4(), fd, ec);
      if (!ec) socket.non_blocking(true, ec);
      if (!ec) w.listen_udp(std::move(socket));
    } else if (!ec) {
      w.acceptor().assign(v6 ? tcp::v6() : tcp::v4(), fd, ec);
    }
    if (ec) {
      log::error("cannot use the socket passed by systemd (fd {}): {}", s.fd, ec.message());
      return false;
    }
  }
  log::info("listening on the socket passed by systemd (fd {}{}{})", s.fd, s.name.empty() ? "" : ", ",
            s.name);
  return true;
}

const sys::inherited_socket* pick(const std::vector<sys::inherited_socket>& inherited, bool datagram) {
  for (const auto& s : inherited)
    if (datagram ? s.type == SOCK_DGRAM : (s.type == SOCK_STREAM && s.listening)) return &s;
  return nullptr;
}

// kaminaric with uot: one UDP socket per worker on the same port, as for TCP below.
bool bind_udp(std::list<worker>& workers, udp::endpoint at) {
  for (auto& w : workers) {
    auto [ec, socket] = net::open_udp_listener(w.io(), at);
    if (ec) {
      log::error("cannot listen on {} (UDP): {}", net::to_string(at), ec.message());
      return false;
    }
    at = socket.local_endpoint();
    w.listen_udp(std::move(socket));
  }
  return true;
}

// One listener per worker on the same port. The first may pick the port (port 0).
bool bind_tcp(std::list<worker>& workers, tcp::endpoint at) {
  for (auto& w : workers) {
    auto [ec, acceptor] = net::open_listener(w.io(), at);
    if (ec) {
      log::error("cannot listen on {}: {}", net::to_string(at), ec.message());
      return false;
    }
    w.acceptor() = std::move(acceptor);
    at = w.acceptor().local_endpoint();  // the others share the port the first one got
  }
  return true;
}

}  // namespace

bool open_listeners(std::list<worker>& workers, const opt::tunnel_config& config,
                    const std::vector<sys::inherited_socket>& inherited) {
  const bool datagram = is_uot_client(config);
  bool ok = false;
  if (!inherited.empty()) {
    const auto* s = pick(inherited, datagram);
    if (!s) {
      log::error("systemd passed {} socket(s), but none is a {}", inherited.size(),
                 datagram ? "UDP socket (uot)" : "listening TCP socket");
      return false;
    }
    ok = adopt_inherited(workers, *s, datagram);
  } else {
    auto [resolve_ec, addresses] = net::resolve_now(config.listen);
    if (resolve_ec) {
      log::error("cannot resolve listen address {}: {}", config.listen.to_string(), resolve_ec.message());
      return false;
    }
    const tcp::endpoint at = addresses.front();
    ok = datagram ? bind_udp(workers, udp::endpoint(at.address(), at.port())) : bind_tcp(workers, at);
  }
  if (ok && !datagram)
    for (auto& w : workers) net::tune_listener(w.acceptor(), config.limits.keepalive);  // accepted sockets inherit it
  return ok;
}

}  // namespace kmr::app

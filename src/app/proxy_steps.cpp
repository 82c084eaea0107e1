// SPDX-License-Identifier: MIT
#include "app/proxy_steps.hpp"

#include "app/session_steps.hpp"
#include "core/log.hpp"
#include "core/rate_limit.hpp"
#include "net/endpoint_address.hpp"
#include "proxy/proxy_header.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <string>

namespace kmr::app {
namespace {

struct header_read {
  proxy::parse_result parsed;  // complete, or invalid with its reason
  // Closed before sending a byte: a balancer's TCP health check or a port scan, not a
  // client that got the protocol wrong. Counted, but logged at debug only.
  bool closed_silently = false;
};

header_read refused(std::string why) {
  header_read r;
  r.parsed.status = proxy::parse_status::invalid;
  r.parsed.error = std::move(why);
  return r;
}

// Takes `n` bytes that a peek has just shown to be queued.
bool take(int fd, std::byte* into, std::size_t n) {
  while (n > 0) {
    const ssize_t got = ::recv(fd, into, n, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    into += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// Peeks at what has arrived and parses it with what was taken before. Bytes are only
// taken off the socket once they are known to be header: all of a prefix that still
// needs more (the header is longer than it), or exactly the header once it is complete.
// So nothing after the header is ever read here, and no peek is repeated on bytes that
// cannot have changed: each wait is for new data.
awaitable<header_read> read_header(tcp::socket& socket) {
  std::array<std::byte, proxy::max_header> buffer;
  std::size_t taken = 0;
  const int fd = socket.native_handle();
  for (;;) {
    auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, nothrow);
    if (wait_ec) co_return refused(wait_ec.message());
    const ssize_t seen = ::recv(fd, buffer.data() + taken, buffer.size() - taken, MSG_PEEK | MSG_DONTWAIT);
    if (seen < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (seen < 0) co_return refused(std::generic_category().message(errno));
    if (seen == 0 && taken == 0) {
      auto r = refused("closed before sending anything");
      r.closed_silently = true;
      co_return r;
    }
    if (seen == 0) co_return refused("closed inside the PROXY header");
    const std::size_t have = taken + static_cast<std::size_t>(seen);
    header_read r{proxy::parse(std::span<const std::byte>(buffer.data(), have))};
    if (r.parsed.status == proxy::parse_status::invalid) co_return r;
    const std::size_t wanted = r.parsed.status == proxy::parse_status::complete ? r.parsed.consumed : have;
    if (!take(fd, buffer.data() + taken, wanted - taken)) co_return refused("the PROXY header vanished");
    taken = wanted;
    if (r.parsed.status == proxy::parse_status::complete) co_return r;
  }
}

void report_refusal(connection& c, const std::string& why, bool quietly = false) {
  c.end(metrics::end_reason::proxy_refused);
  if (quietly) {
    log::debug("#{} {}: refused (accept-proxy): {}", c.id, c.peer, why);
    return;
  }
  if (const auto suppressed = c.worker.proxy_refusal_reports.allow())
    log::warn("#{} {}: refused (accept-proxy): {}{}", c.id, c.peer, why, suppressed_note(*suppressed));
}

}  // namespace

awaitable<bool> accept_proxy_header(tcp::socket& inbound, connection& c) {
  const auto& trusted = c.config().proxy.trusted;
  if (trusted) {
    const auto& peer = c.peer.endpoint();
    if (!peer || !trusted->contains(net::to_sockaddr(*peer))) {
      report_refusal(c, "not in trusted=");
      co_return false;
    }
  }
  auto r = co_await within_handshake_deadline(read_header(inbound), c, inbound.native_handle());
  if (r.expired) {
    report_refusal(c, "no PROXY header within handshake-timeout");
    co_return false;
  }
  const auto& parsed = r.value.parsed;
  if (parsed.status != proxy::parse_status::complete) {
    report_refusal(c, parsed.error, r.value.closed_silently);
    co_return false;
  }
  if (!parsed.value.local) {
    const peer_name balancer = c.peer;
    c.peer = peer_name(parsed.value.source);
    c.destination = net::to_endpoint(parsed.value.destination);
    log::debug("#{} {}: client named by the PROXY header from {}", c.id, c.peer, balancer);
  }
  co_return true;
}

std::vector<std::byte> proxy_header_for(const connection& c, bool datagram) {
  proxy::header h;
  h.datagram = datagram;
  const auto& source = c.peer.endpoint();
  if (source && c.destination) {
    h.source = net::to_sockaddr(*source);
    h.destination = net::to_sockaddr(*c.destination);
  } else {
    h.local = true;
  }
  return c.config().proxy.send == opt::proxy_version::v1 ? proxy::build_v1(h) : proxy::build_v2(h);
}

awaitable<error_code> send_proxy_header(tcp::socket& outbound, connection& c, bool datagram) {
  if (!c.config().proxy.send) co_return error_code{};
  const auto header = proxy_header_for(c, datagram);
  auto [ec, n] = co_await asio::async_write(outbound, asio::buffer(header.data(), header.size()), nothrow);
  if (ec) {
    c.end(metrics::end_reason::reset);
    log::debug("#{} {}: cannot send the PROXY header: {}", c.id, c.peer, ec.message());
  }
  co_return ec;
}

}  // namespace kmr::app

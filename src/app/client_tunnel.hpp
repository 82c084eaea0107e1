// SPDX-License-Identifier: MIT
// The client's end of the tunnel: over a connected TCP socket, the snapshot's layer stack
// (plain, ws, tls, or ws inside tls) is set up under the handshake deadline, then the
// caller's `use` runs with the resulting stream. Shared by TCP sessions and UDP flows.
#pragma once

#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

#include <type_traits>
#include <variant>

namespace kmr::app {

namespace client_detail {

void report_setup_failure(connection& c, const char* layer, const std::string& why);

// The WebSocket upgrade over `next` (plain TCP or TLS); nullopt after logging a failure.
template <class Next>
awaitable<std::optional<ws::stream<Next>>> upgrade(Next next, const opt::ws_config& ws, connection& c) {
  const auto started = std::chrono::steady_clock::now();
  auto up = co_await ws::connect_upgrade(std::move(next), ws);
  if (!up.upgraded)
    report_setup_failure(c, "WebSocket", up.ec.message() + ": " + up.detail);
  else
    c.worker.metrics.ws_handshake.observe(std::chrono::steady_clock::now() - started);
  co_return std::move(up.upgraded);
}

// TLS over the connected socket; nullopt after logging a failure.
awaitable<std::optional<tls::stream>> secure(tcp::socket socket, const tls_layer& tls, connection& c);

awaitable<std::optional<ws::stream<tls::stream>>> secure_then_upgrade(tcp::socket socket, const wss_stack& stack,
                                                                      connection& c);

// Each stack's handshake: an awaitable of the stream, or nullopt after a logged failure.
inline auto handshake(const ws_stack& s, tcp::socket t, connection& c) {
  return upgrade(net::tcp_stream(std::move(t)), s.ws, c);
}
inline auto handshake(const tls_stack& s, tcp::socket t, connection& c) { return secure(std::move(t), s.tls, c); }
inline auto handshake(const wss_stack& s, tcp::socket t, connection& c) {
  return secure_then_upgrade(std::move(t), s, c);
}

template <class Use>
awaitable<bool> use_plain(tcp::socket tunnel, Use use) {
  net::tcp_stream plain(std::move(tunnel));
  co_await use(plain);
  co_return true;
}

// `set_up` is the stack's handshake on the socket `fd`; `use` runs once it succeeded.
template <class Stream, class Use>
awaitable<bool> set_up_then_use(awaitable<std::optional<Stream>> set_up, connection& c, int fd, Use use) {
  auto r = co_await within_handshake_deadline(std::move(set_up), c, fd);
  if (r.expired) c.end(metrics::end_reason::handshake_timeout);
  if (r.expired || !r.value) co_return false;
  co_await use(*r.value);
  co_return true;
}

// One coroutine per stack, so that each connection's frame holds only its own stream
// type: one coroutine with all four branches carried every branch's streams and results
// in its frame (measured: 2.7 kB per connection on the server side, the largest single
// allocation of a held connection). Not a coroutine itself: it picks one.
template <class Stack, class Use>
awaitable<bool> open_stack(const Stack& stack, tcp::socket tunnel, connection& c, Use use) {
  if constexpr (std::is_same_v<Stack, plain_stack>) {
    return use_plain(std::move(tunnel), std::move(use));
  } else {
    const int fd = tunnel.native_handle();
    return set_up_then_use(handshake(stack, std::move(tunnel), c), c, fd, std::move(use));
  }
}

}  // namespace client_detail

// Sets up the connection's layer stack over `tunnel` and runs `co_await use(stream)` with
// the stream, whose type depends on the stack (net::tcp_stream, ws::stream<...>,
// tls::stream). Returns false, with the failure logged, if the layers could not be set
// up. Not a coroutine: the caller awaits the chosen coroutine at once (`c` outlives it).
template <class Use>
awaitable<bool> open_client_tunnel(tcp::socket tunnel, connection& c, Use use) {
  return std::visit(
      [&](const auto& stack) { return client_detail::open_stack(stack, std::move(tunnel), c, std::move(use)); },
      c.runtime->stack);
}

}  // namespace kmr::app

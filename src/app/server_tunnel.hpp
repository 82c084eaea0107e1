// SPDX-License-Identifier: MIT
// The server's end of the tunnel: over an accepted TCP socket, the snapshot's layer stack
// (plain, ws, tls, or ws inside tls) is accepted under one handshake deadline, then the
// caller's `use` runs with the resulting stream. A request that is not our WebSocket
// upgrade goes to the fallback web server when one is configured. Shared by TCP sessions
// and UDP flows.
#pragma once

#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

#include <type_traits>
#include <variant>

namespace kmr::app {

namespace server_detail {

// Probers and scanners fail here all day: debug, not warn.
// Counts the connection as ended by a failed handshake of `layer` ("TLS", "WebSocket").
void report_refusal(connection& c, const char* layer, const std::string& why);

// What the WebSocket layer made of the connection.
template <class Next>
struct ws_outcome {
  std::optional<ws::stream<Next>> upgraded;
  std::optional<Next> refused;  // not our upgrade, and a fallback is configured
  std::string already_read;     // what was read from `refused`
};

// trusted=: when the peer that sent the upgrade is a trusted proxy, the client it names
// in X-Forwarded-For, X-Real-IP or Forwarded becomes c.peer.
void take_forwarded_client(const ws::forwarding_headers& headers, connection& c);

template <class Next>
awaitable<ws_outcome<Next>> upgrade(Next next, const opt::ws_config& ws, connection& c) {
  const auto started = std::chrono::steady_clock::now();
  auto r = co_await ws::accept_upgrade(std::move(next), ws);
  if (!r.upgraded && !r.refused) report_refusal(c, "WebSocket", r.ec.message() + ": " + r.detail);
  if (r.upgraded) {
    c.worker.metrics.ws_handshake.observe(std::chrono::steady_clock::now() - started);
    if (c.config().proxy.trusted) take_forwarded_client(r.forwarding, c);
  }
  if (r.refused) log::debug("#{} {}: not an upgrade for us ({}); to the fallback", c.id, c.peer, r.detail);
  co_return ws_outcome<Next>{std::move(r.upgraded), std::move(r.refused), std::move(r.already_read)};
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, const tls_layer& tls, connection& c);
awaitable<ws_outcome<tls::stream>> secure_then_upgrade(tcp::socket socket, const wss_stack& stack, connection& c);

// Each stack's handshake, and its name in log lines.
inline auto handshake(const ws_stack& s, tcp::socket t, connection& c) {
  return upgrade(net::tcp_stream(std::move(t)), s.ws, c);
}
inline auto handshake(const tls_stack& s, tcp::socket t, connection& c) { return secure(std::move(t), s.tls, c); }
inline auto handshake(const wss_stack& s, tcp::socket t, connection& c) {
  return secure_then_upgrade(std::move(t), s, c);
}
constexpr const char* layer_name(const ws_stack&) { return "WebSocket"; }
constexpr const char* layer_name(const tls_stack&) { return "TLS"; }
constexpr const char* layer_name(const wss_stack&) { return "TLS/WebSocket"; }

// A request that is not our upgrade goes to the fallback web server, bytes already read
// first, so a prober sees an ordinary site.
template <class Refused>
awaitable<void> forward_to_fallback(Refused& refused, std::string already_read, const opt::host_port& fallback,
                                    connection& c) {
  c.worker.metrics.fallbacks.add();
  c.end(metrics::end_reason::fallback);  // unless connecting to it fails
  auto [ec, outbound] = co_await connect_logged(c, fallback);
  if (ec) co_return;
  net::tcp_stream site(std::move(outbound));
  if (co_await site.write({std::as_writable_bytes(std::span(already_read.data(), already_read.size())), 0}))
    co_return;
  finish_relay(c, co_await net::relay(refused, site, c.config().limits, c.traffic));
  c.end(metrics::end_reason::fallback);  // however the relay ended, it was a hand-off
}

template <class T>
inline constexpr bool is_ws_outcome = false;
template <class Next>
inline constexpr bool is_ws_outcome<ws_outcome<Next>> = true;

template <class Use>
awaitable<void> serve_plain(tcp::socket inbound, Use use) {
  net::tcp_stream plain(std::move(inbound));
  co_await use(plain);
}

// The one serve path of every stack with a handshake (ws, tls, wss): the handshake under
// the deadline, then the stream to `use`, or a refused request to the fallback.
template <class Stack, class Use>
awaitable<void> serve_stack(const Stack& stack, tcp::socket inbound, connection& c, Use use) {
  const int fd = inbound.native_handle();
  auto r = co_await within_handshake_deadline(handshake(stack, std::move(inbound), c), c, fd);
  if (r.expired) {
    report_refusal(c, layer_name(stack), "timed out");
    c.end(metrics::end_reason::handshake_timeout);
    co_return;
  }
  if constexpr (is_ws_outcome<decltype(r.value)>) {
    if (r.value.refused)
      co_await forward_to_fallback(*r.value.refused, std::move(r.value.already_read), *stack.ws.fallback, c);
    else if (r.value.upgraded)
      co_await use(*r.value.upgraded);
  } else if (r.value) {
    co_await use(*r.value);
  }
}

// One coroutine per stack (see client_tunnel.hpp for why). Not a coroutine itself.
template <class Stack, class Use>
awaitable<void> open_stack(const Stack& stack, tcp::socket inbound, connection& c, Use use) {
  if constexpr (std::is_same_v<Stack, plain_stack>)
    return serve_plain(std::move(inbound), std::move(use));
  else
    return serve_stack(stack, std::move(inbound), c, std::move(use));
}

}  // namespace server_detail

// Accepts the connection's layer stack on `inbound` and runs `co_await use(stream)` with
// the stream, whose type depends on the stack. Failures are logged (at debug: they are
// mostly probes). Not a coroutine: the caller awaits the chosen coroutine at once (`c`
// outlives it).
template <class Use>
awaitable<void> open_server_tunnel(tcp::socket inbound, connection& c, Use use) {
  return std::visit(
      [&](const auto& stack) { return server_detail::open_stack(stack, std::move(inbound), c, std::move(use)); },
      c.runtime->stack);
}

}  // namespace kmr::app

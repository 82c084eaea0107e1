// SPDX-License-Identifier: MIT
// The server's end of the tunnel: over an accepted TCP socket, the configured layers
// (plain, ws, tls, or ws inside tls) are accepted under one handshake deadline, then the
// caller's `use` runs with the resulting stream. A request that is not our WebSocket
// upgrade goes to the fallback web server when one is configured. Shared by TCP sessions
// and UDP flows.
#pragma once

#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

namespace kmr::app {

namespace server_detail {

// Probers and scanners fail here all day: debug, not warn.
void report_refusal(std::uint64_t id, const peer_name& peer, const char* layer, const std::string& why);

// What the WebSocket layer made of the connection.
template <class Next>
struct ws_outcome {
  std::optional<ws::stream<Next>> upgraded;
  std::optional<Next> refused;  // not our upgrade, and a fallback is configured
  std::string already_read;     // what was read from `refused`
};

template <class Next>
awaitable<ws_outcome<Next>> upgrade(Next next, session_context& ctx, std::uint64_t id, const peer_name& peer) {
  auto r = co_await ws::accept_upgrade(std::move(next), *ctx.config.ws);
  if (!r.upgraded && !r.refused) report_refusal(id, peer, "WebSocket", r.ec.message() + ": " + r.detail);
  if (r.refused) log::debug("#{} {}: not an upgrade for us ({}); to the fallback", id, peer, r.detail);
  co_return ws_outcome<Next>{std::move(r.upgraded), std::move(r.refused), std::move(r.already_read)};
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                             const peer_name& peer);
awaitable<ws_outcome<tls::stream>> secure_then_upgrade(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                                       const peer_name& peer);

// A request that is not our upgrade goes to the fallback web server, bytes already read
// first, so a prober sees an ordinary site.
template <class Refused>
awaitable<void> forward_to_fallback(Refused& refused, std::string already_read, session_context& ctx,
                                    std::uint64_t id, const peer_name& peer) {
  auto [ec, outbound] = co_await connect_logged(ctx, *ctx.config.ws->fallback, id, peer);
  if (ec) co_return;
  net::tcp_stream site(std::move(outbound));
  if (co_await site.write({std::as_writable_bytes(std::span(already_read.data(), already_read.size())), 0}))
    co_return;
  log_relay_end(id, peer, co_await net::relay(refused, site, ctx.config.limits));
}

template <class Next, class Use>
awaitable<void> serve_ws_outcome(ws_outcome<Next>& outcome, session_context& ctx, std::uint64_t id,
                                 const peer_name& peer, Use& use) {
  if (outcome.refused)
    co_await forward_to_fallback(*outcome.refused, std::move(outcome.already_read), ctx, id, peer);
  else if (outcome.upgraded)
    co_await use(*outcome.upgraded);
}

// One coroutine per layer combination, so that each connection's frame holds only its
// own combination's state: one coroutine with all four branches carried every branch's
// streams and results in its frame (measured: 2.7 kB per connection, the largest single
// allocation of a held connection).
template <class Use>
awaitable<void> serve_plain(tcp::socket inbound, Use use) {
  net::tcp_stream plain(std::move(inbound));
  co_await use(plain);
}

template <class Use>
awaitable<void> serve_ws(tcp::socket inbound, session_context& ctx, std::uint64_t id, const peer_name& peer,
                         Use use) {
  const int fd = inbound.native_handle();
  auto r = co_await within_handshake_deadline(upgrade(net::tcp_stream(std::move(inbound)), ctx, id, peer), ctx, fd);
  if (r.expired) {
    report_refusal(id, peer, "WebSocket", "timed out");
    co_return;
  }
  co_await serve_ws_outcome(r.value, ctx, id, peer, use);
}

template <class Use>
awaitable<void> serve_wss(tcp::socket inbound, session_context& ctx, std::uint64_t id, const peer_name& peer,
                          Use use) {
  const int fd = inbound.native_handle();
  auto r = co_await within_handshake_deadline(secure_then_upgrade(std::move(inbound), ctx, id, peer), ctx, fd);
  if (r.expired) {
    report_refusal(id, peer, "TLS/WebSocket", "timed out");
    co_return;
  }
  co_await serve_ws_outcome(r.value, ctx, id, peer, use);
}

template <class Use>
awaitable<void> serve_tls(tcp::socket inbound, session_context& ctx, std::uint64_t id, const peer_name& peer,
                          Use use) {
  const int fd = inbound.native_handle();
  auto r = co_await within_handshake_deadline(secure(std::move(inbound), ctx, id, peer), ctx, fd);
  if (r.expired) {
    report_refusal(id, peer, "TLS", "timed out");
    co_return;
  }
  if (r.value) co_await use(*r.value);
}

}  // namespace server_detail

// Accepts the layers on `inbound` and runs `co_await use(stream)` with the stream, whose
// type depends on the layers. Failures are logged (at debug: they are mostly probes).
// Not a coroutine: it picks the coroutine for the configured layers, which the caller
// awaits at once (`ctx` and `peer` outlive it).
template <class Use>
awaitable<void> open_server_tunnel(tcp::socket inbound, session_context& ctx, std::uint64_t id,
                                   const peer_name& peer, Use use) {
  using namespace server_detail;
  if (!ctx.tls && !ctx.config.ws) return serve_plain(std::move(inbound), std::move(use));
  if (!ctx.tls) return serve_ws(std::move(inbound), ctx, id, peer, std::move(use));
  if (ctx.config.ws) return serve_wss(std::move(inbound), ctx, id, peer, std::move(use));
  return serve_tls(std::move(inbound), ctx, id, peer, std::move(use));
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// The client's end of the tunnel: over a connected TCP socket, the configured layers
// (plain, ws, tls, or ws inside tls) are set up under the handshake deadline, then the
// caller's `use` runs with the resulting stream. Shared by TCP sessions and UDP flows.
#pragma once

#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

namespace kmr::app {

namespace client_detail {

void report_setup_failure(session_context& ctx, std::uint64_t id, const peer_name& peer, const char* layer,
                          const std::string& why);

// The WebSocket upgrade over `next` (plain TCP or TLS); nullopt after logging a failure.
template <class Next>
awaitable<std::optional<ws::stream<Next>>> upgrade(Next next, session_context& ctx, std::uint64_t id,
                                                   const peer_name& peer) {
  auto up = co_await ws::connect_upgrade(std::move(next), *ctx.config.ws);
  if (!up.upgraded) report_setup_failure(ctx, id, peer, "WebSocket", up.ec.message() + ": " + up.detail);
  co_return std::move(up.upgraded);
}

// TLS over the connected socket; nullopt after logging a failure.
awaitable<std::optional<tls::stream>> secure(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                             const peer_name& peer);

awaitable<std::optional<ws::stream<tls::stream>>> secure_then_upgrade(tcp::socket socket, session_context& ctx,
                                                                      std::uint64_t id, const peer_name& peer);

// One coroutine per layer combination, so that each connection's frame holds only its
// own stream type: one coroutine with all four branches carried every branch's streams
// and results in its frame (measured: 2.7 kB per connection on the server side, the
// largest single allocation of a held connection).
template <class Use>
awaitable<bool> use_plain(tcp::socket tunnel, Use use) {
  net::tcp_stream plain(std::move(tunnel));
  co_await use(plain);
  co_return true;
}

// `set_up` is the layers' handshake on the socket `fd`; `use` runs once it succeeded.
template <class Stream, class Use>
awaitable<bool> set_up_then_use(awaitable<std::optional<Stream>> set_up, session_context& ctx, int fd, Use use) {
  auto r = co_await within_handshake_deadline(std::move(set_up), ctx, fd);
  if (r.expired || !r.value) co_return false;
  co_await use(*r.value);
  co_return true;
}

}  // namespace client_detail

// Sets up the layers over `tunnel` and runs `co_await use(stream)` with the stream, whose
// type depends on the layers (net::tcp_stream, ws::stream<...>, tls::stream). Returns
// false, with the failure logged, if the layers could not be set up. Not a coroutine: it
// picks the coroutine for the configured layers, which the caller awaits at once (`ctx`
// and `peer` outlive it).
template <class Use>
awaitable<bool> open_client_tunnel(tcp::socket tunnel, session_context& ctx, std::uint64_t id,
                                   const peer_name& peer, Use use) {
  using namespace client_detail;
  const int fd = tunnel.native_handle();
  if (!ctx.tls && !ctx.config.ws) return use_plain(std::move(tunnel), std::move(use));
  if (!ctx.tls)
    return set_up_then_use(upgrade(net::tcp_stream(std::move(tunnel)), ctx, id, peer), ctx, fd, std::move(use));
  if (ctx.config.ws)
    return set_up_then_use(secure_then_upgrade(std::move(tunnel), ctx, id, peer), ctx, fd, std::move(use));
  return set_up_then_use(secure(std::move(tunnel), ctx, id, peer), ctx, fd, std::move(use));
}

}  // namespace kmr::app

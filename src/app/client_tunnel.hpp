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

void report_setup_failure(session_context& ctx, std::uint64_t id, const std::string& peer, const char* layer,
                          const std::string& why);

// The WebSocket upgrade over `next` (plain TCP or TLS); nullopt after logging a failure.
template <class Next>
awaitable<std::optional<ws::stream<Next>>> upgrade(Next next, session_context& ctx, std::uint64_t id,
                                                   const std::string& peer) {
  auto up = co_await ws::connect_upgrade(std::move(next), *ctx.config.ws);
  if (!up.upgraded) report_setup_failure(ctx, id, peer, "WebSocket", up.ec.message() + ": " + up.detail);
  co_return std::move(up.upgraded);
}

// TLS over the connected socket; nullopt after logging a failure.
awaitable<std::optional<tls::stream>> secure(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                             const std::string& peer);

awaitable<std::optional<ws::stream<tls::stream>>> secure_then_upgrade(tcp::socket socket, session_context& ctx,
                                                                      std::uint64_t id, const std::string& peer);

}  // namespace client_detail

// Sets up the layers over `tunnel` and runs `co_await use(stream)` with the stream, whose
// type depends on the layers (net::tcp_stream, ws::stream<...>, tls::stream). Returns
// false, with the failure logged, if the layers could not be set up.
template <class Use>
awaitable<bool> open_client_tunnel(tcp::socket tunnel, session_context& ctx, std::uint64_t id,
                                   const std::string& peer, Use use) {
  using namespace client_detail;
  const int fd = tunnel.native_handle();
  if (!ctx.tls && !ctx.config.ws) {
    net::tcp_stream plain(std::move(tunnel));
    co_await use(plain);
    co_return true;
  }
  if (!ctx.tls) {
    auto r = co_await within_handshake_deadline(upgrade(net::tcp_stream(std::move(tunnel)), ctx, id, peer), ctx, fd);
    if (r.expired || !r.value) co_return false;
    co_await use(*r.value);
    co_return true;
  }
  if (ctx.config.ws) {
    auto r = co_await within_handshake_deadline(secure_then_upgrade(std::move(tunnel), ctx, id, peer), ctx, fd);
    if (r.expired || !r.value) co_return false;
    co_await use(*r.value);
    co_return true;
  }
  auto r = co_await within_handshake_deadline(secure(std::move(tunnel), ctx, id, peer), ctx, fd);
  if (r.expired || !r.value) co_return false;
  co_await use(*r.value);
  co_return true;
}

}  // namespace kmr::app

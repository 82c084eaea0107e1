// SPDX-License-Identifier: MIT
// kaminaric's session: an application's connection, carried into the tunnel.
#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "ws/upgrade.hpp"

namespace kmr::app {
namespace {

// The tunnel connection is up at the TCP level: add the WebSocket layer, then relay.
awaitable<void> relay_over_ws(net::tcp_stream& app, net::tcp_stream tunnel, session_context& ctx,
                              std::uint64_t id, const std::string& peer) {
  const auto& socket = tunnel.socket();
  auto up = co_await within_handshake_deadline(ws::connect_upgrade(std::move(tunnel), *ctx.config.ws), ctx,
                                               socket);
  if (up.expired || !up.value.upgraded) {
    const auto why = up.expired ? std::string("handshake timed out") : up.value.ec.message() + ": " + up.value.detail;
    if (const auto suppressed = ctx.handshake_failure_reports.allow())
      log::warn("#{} {}: WebSocket upgrade with {} failed: {}{}", id, peer, ctx.config.remote.to_string(), why,
                suppressed_note(*suppressed));
    app.abort();
    co_return;
  }
  co_await relay_logged(app, *up.value.upgraded, ctx, id, peer);
}

}  // namespace

awaitable<void> client_session(tcp::socket inbound, session_context& ctx, std::uint64_t id) {
  const auto peer = peer_of(inbound);
  net::tune_connection(inbound, ctx.config.limits.keepalive);
  net::tcp_stream app(std::move(inbound));

  auto [ec, outbound] = co_await connect_logged(ctx, ctx.config.remote, id, peer);
  if (ec) {
    app.abort();  // a reset, not a FIN: the application must not mistake it for an empty reply
    co_return;
  }
  net::tcp_stream tunnel(std::move(outbound));
  if (ctx.config.ws)
    co_await relay_over_ws(app, std::move(tunnel), ctx, id, peer);
  else
    co_await relay_logged(app, tunnel, ctx, id, peer);
}

}  // namespace kmr::app

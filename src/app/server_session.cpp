// SPDX-License-Identifier: MIT
// kaminaris's session: a tunnel connection, carried out to the remote.
#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "ws/upgrade.hpp"

namespace kmr::app {
namespace {

// Connects to the remote and relays the (already set up) tunnel stream to it.
template <class Tunnel>
awaitable<void> forward_to_remote(Tunnel& tunnel, session_context& ctx, std::uint64_t id, const std::string& peer) {
  auto [ec, outbound] = co_await connect_logged(ctx, ctx.config.remote, id, peer);
  if (ec) {
    tunnel.abort();
    co_return;
  }
  net::tcp_stream remote(std::move(outbound));
  co_await relay_logged(tunnel, remote, ctx, id, peer);
}

// A request that is not our upgrade goes to the fallback web server, bytes already read
// first, so a prober sees an ordinary site.
awaitable<void> forward_to_fallback(net::tcp_stream& refused, std::string already_read, session_context& ctx,
                                    std::uint64_t id, const std::string& peer) {
  auto [ec, outbound] = co_await connect_logged(ctx, *ctx.config.ws->fallback, id, peer);
  if (ec) co_return;
  net::tcp_stream site(std::move(outbound));
  if (co_await site.write({std::as_writable_bytes(std::span(already_read.data(), already_read.size())), 0}))
    co_return;
  co_await relay_logged(refused, site, ctx, id, peer);
}

awaitable<void> accept_ws(net::tcp_stream tunnel, session_context& ctx, std::uint64_t id, const std::string& peer) {
  const auto& socket = tunnel.socket();
  auto acc = co_await within_handshake_deadline(ws::accept_upgrade(std::move(tunnel), *ctx.config.ws), ctx,
                                                socket);
  auto& r = acc.value;
  if (!acc.expired && r.refused) {
    log::debug("#{} {}: not an upgrade for us ({}); handing it to the fallback", id, peer, r.detail);
    co_await forward_to_fallback(*r.refused, std::move(r.already_read), ctx, id, peer);
    co_return;
  }
  if (acc.expired || !r.upgraded) {
    // Probers and scanners land here all day: debug, not warn.
    log::debug("#{} {}: WebSocket upgrade refused: {}", id, peer,
               acc.expired ? std::string("handshake timed out") : r.ec.message() + ": " + r.detail);
    co_return;
  }
  co_await forward_to_remote(*r.upgraded, ctx, id, peer);
}

}  // namespace

awaitable<void> server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id) {
  const auto peer = peer_of(inbound);
  net::tune_connection(inbound, ctx.config.limits.keepalive);
  net::tcp_stream tunnel(std::move(inbound));
  if (ctx.config.ws)
    co_await accept_ws(std::move(tunnel), ctx, id, peer);
  else
    co_await forward_to_remote(tunnel, ctx, id, peer);
}

}  // namespace kmr::app

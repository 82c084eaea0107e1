// SPDX-License-Identifier: MIT
// kaminaris's session: a tunnel connection, through its layers (plain, ws, tls, or ws
// inside tls), carried out to the remote.
#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

#include <variant>

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
template <class Refused>
awaitable<void> forward_to_fallback(Refused& refused, std::string already_read, session_context& ctx,
                                    std::uint64_t id, const std::string& peer) {
  auto [ec, outbound] = co_await connect_logged(ctx, *ctx.config.ws->fallback, id, peer);
  if (ec) co_return;
  net::tcp_stream site(std::move(outbound));
  if (co_await site.write({std::as_writable_bytes(std::span(already_read.data(), already_read.size())), 0}))
    co_return;
  co_await relay_logged(refused, site, ctx, id, peer);
}

// Probers and scanners fail here all day: debug, not warn.
void report_refusal(std::uint64_t id, const std::string& peer, const char* layer, const std::string& why) {
  log::debug("#{} {}: {} handshake failed: {}", id, peer, layer, why);
}

// What the layers made of the connection: the upgraded stream, or a request for the
// fallback, or nothing (refused, already logged).
template <class Next>
struct ws_outcome {
  std::optional<ws::stream<Next>> upgraded;
  std::optional<Next> refused;
  std::string already_read;
};

template <class Next>
awaitable<ws_outcome<Next>> upgrade(Next next, session_context& ctx, std::uint64_t id, const std::string& peer) {
  auto r = co_await ws::accept_upgrade(std::move(next), *ctx.config.ws);
  if (!r.upgraded && !r.refused) report_refusal(id, peer, "WebSocket", r.ec.message() + ": " + r.detail);
  if (r.refused) log::debug("#{} {}: not an upgrade for us ({}); to the fallback", id, peer, r.detail);
  co_return ws_outcome<Next>{std::move(r.upgraded), std::move(r.refused), std::move(r.already_read)};
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                             const std::string& peer) {
  auto [ec, stream] = co_await tls::stream::accept(std::move(socket), ctx.tls->context.get());
  if (ec) {
    report_refusal(id, peer, "TLS", stream && !stream->failure().empty() ? stream->failure() : ec.message());
    co_return std::nullopt;
  }
  if (stream->early_data_accepted()) log::debug("#{} {}: TLS early data accepted", id, peer);
  co_return std::move(stream);
}

awaitable<ws_outcome<tls::stream>> secure_then_upgrade(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                                       const std::string& peer) {
  auto secured = co_await secure(std::move(socket), ctx, id, peer);
  if (!secured) co_return ws_outcome<tls::stream>{};
  co_return co_await upgrade(std::move(*secured), ctx, id, peer);
}

template <class Next>
awaitable<void> serve_ws_outcome(ws_outcome<Next>& outcome, session_context& ctx, std::uint64_t id,
                                 const std::string& peer) {
  if (outcome.refused)
    co_await forward_to_fallback(*outcome.refused, std::move(outcome.already_read), ctx, id, peer);
  else if (outcome.upgraded)
    co_await forward_to_remote(*outcome.upgraded, ctx, id, peer);
}

}  // namespace

awaitable<void> server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id) {
  const auto peer = peer_of(inbound);
  net::tune_connection(inbound, ctx.config.limits.keepalive);
  const int fd = inbound.native_handle();
  const bool ws = ctx.config.ws.has_value();

  if (!ctx.tls && !ws) {
    net::tcp_stream tunnel(std::move(inbound));
    co_return co_await forward_to_remote(tunnel, ctx, id, peer);
  }
  // One deadline covers TLS and the WebSocket upgrade together.
  if (!ctx.tls) {
    auto r = co_await within_handshake_deadline(upgrade(net::tcp_stream(std::move(inbound)), ctx, id, peer), ctx, fd);
    if (r.expired) co_return report_refusal(id, peer, "WebSocket", "timed out");
    co_return co_await serve_ws_outcome(r.value, ctx, id, peer);
  }
  if (ws) {
    auto r = co_await within_handshake_deadline(secure_then_upgrade(std::move(inbound), ctx, id, peer), ctx, fd);
    if (r.expired) co_return report_refusal(id, peer, "TLS/WebSocket", "timed out");
    co_return co_await serve_ws_outcome(r.value, ctx, id, peer);
  }
  auto r = co_await within_handshake_deadline(secure(std::move(inbound), ctx, id, peer), ctx, fd);
  if (r.expired) co_return report_refusal(id, peer, "TLS", "timed out");
  if (r.value) co_await forward_to_remote(*r.value, ctx, id, peer);
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// kaminaris's session: a tunnel connection carried out to the remote over TCP.
#include "app/server_tunnel.hpp"
#include "app/session.hpp"

namespace kmr::app {

namespace server_detail {

void report_refusal(std::uint64_t id, const peer_name& peer, const char* layer, const std::string& why) {
  log::debug("#{} {}: {} handshake failed: {}", id, peer, layer, why);
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                             const peer_name& peer) {
  auto [ec, stream] = co_await tls::stream::accept(std::move(socket), ctx.tls->context.get());
  if (ec) {
    report_refusal(id, peer, "TLS", stream && !stream->failure().empty() ? stream->failure() : ec.message());
    co_return std::nullopt;
  }
  if (stream->resumed()) log::debug("#{} {}: TLS session resumed", id, peer);
  if (stream->early_data_accepted()) log::debug("#{} {}: TLS early data accepted", id, peer);
  co_return std::move(stream);
}

awaitable<ws_outcome<tls::stream>> secure_then_upgrade(tcp::socket socket, session_context& ctx, std::uint64_t id,
                                                       const peer_name& peer) {
  auto secured = co_await secure(std::move(socket), ctx, id, peer);
  if (!secured) co_return ws_outcome<tls::stream>{};
  co_return co_await upgrade(std::move(*secured), ctx, id, peer);
}

}  // namespace server_detail

namespace {

// Connects to the remote and relays the (set up) tunnel stream to it.
template <class Tunnel>
awaitable<void> forward_to_remote(Tunnel& tunnel, session_context& ctx, std::uint64_t id, const peer_name& peer) {
  auto [ec, outbound] = co_await connect_logged(ctx, ctx.config.remote, id, peer);
  if (ec) {
    tunnel.abort();
    co_return;
  }
  net::tcp_stream remote(std::move(outbound));
  log_relay_end(id, peer, co_await net::relay(tunnel, remote, ctx.config.limits));
}

}  // namespace

awaitable<void> server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id) {
  const peer_name peer(inbound);
  // Not a coroutine lambda: it only calls the named coroutine, whose references outlive it.
  co_await open_server_tunnel(std::move(inbound), ctx, id, peer,
                              [&](auto& tunnel) { return forward_to_remote(tunnel, ctx, id, peer); });
}

}  // namespace kmr::app

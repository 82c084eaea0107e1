// SPDX-License-Identifier: MIT
// kaminaris's session: a tunnel connection carried out to the remote over TCP.
#include "app/proxy_steps.hpp"
#include "app/server_tunnel.hpp"
#include "app/session.hpp"
#include "net/endpoint_address.hpp"
#include "net/ip_literal.hpp"
#include "ws/forwarded_for.hpp"

namespace kmr::app {

namespace server_detail {

void report_refusal(connection& c, const char* layer, const std::string& why) {
  c.end(std::string_view(layer) == "TLS" ? metrics::end_reason::tls_handshake_failed
                                         : metrics::end_reason::ws_handshake_failed);
  log::debug("#{} {}: {} handshake failed: {}", c.id, c.peer, layer, why);
}

void take_forwarded_client(const ws::forwarding_headers& headers, connection& c) {
  const auto& trusted = *c.config().proxy.trusted;
  const auto& sender = c.peer.endpoint();
  if (!sender || !trusted.contains(net::to_sockaddr(*sender))) return;
  const auto client = ws::forwarded_client(headers.x_forwarded_for, headers.x_real_ip, headers.forwarded, trusted);
  if (!client) return;
  const auto address = net::parse_ip(*client);
  if (!address) return;
  log::debug("#{} {}: the client is {}, as the upgrade's forwarding headers say", c.id, c.peer, *client);
  c.peer = peer_name(*address);
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, const tls_layer& tls, connection& c) {
  const auto started = std::chrono::steady_clock::now();
  auto [ec, stream] = co_await tls::stream::accept(std::move(socket), tls.ssl_ctx.get(), tls.session_ctx.get());
  if (ec) {
    report_refusal(c, "TLS", stream && !stream->failure().empty() ? stream->failure() : ec.message());
    co_return std::nullopt;
  }
  stream->count_handshake(c.worker.metrics.tls, started);
  if (stream->resumed()) log::debug("#{} {}: TLS session resumed", c.id, c.peer);
  if (stream->early_data_accepted()) log::debug("#{} {}: TLS early data accepted", c.id, c.peer);
  co_return std::move(stream);
}

awaitable<ws_outcome<tls::stream>> secure_then_upgrade(tcp::socket socket, const wss_stack& stack, connection& c) {
  auto secured = co_await secure(std::move(socket), stack.tls, c);
  if (!secured) co_return ws_outcome<tls::stream>{};
  co_return co_await upgrade(std::move(*secured), stack.ws, c);
}

}  // namespace server_detail

namespace {

// Connects to the remote and relays the (set up) tunnel stream to it.
template <class Tunnel>
awaitable<void> forward_to_remote(Tunnel& tunnel, connection& c) {
  auto [ec, outbound] = co_await connect_to_remote(c);
  if (ec || co_await send_proxy_header(outbound, c)) {
    tunnel.abort();
    co_return;
  }
  net::tcp_stream remote(std::move(outbound));
  finish_relay(c, co_await net::relay(tunnel, remote, c.config().limits, c.traffic));
}

}  // namespace

awaitable<void> server_session(tcp::socket inbound, connection c) {
  if (c.config().proxy.accept && !co_await accept_proxy_header(inbound, c)) co_return;
  note_destination(inbound, c);
  // Not a coroutine lambda: it only calls the named coroutine, whose references outlive it.
  co_await open_server_tunnel(std::move(inbound), c, [&](auto& tunnel) { return forward_to_remote(tunnel, c); });
}

}  // namespace kmr::app

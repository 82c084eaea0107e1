// SPDX-License-Identifier: MIT
// kaminaric's session: an application's TCP connection, carried into the tunnel.
#include "app/client_tunnel.hpp"
#include "app/proxy_steps.hpp"
#include "app/session.hpp"

#include <type_traits>

namespace kmr::app {

namespace client_detail {

void report_setup_failure(connection& c, const char* layer, const std::string& why) {
  c.end(std::string_view(layer) == "TLS" ? metrics::end_reason::tls_handshake_failed
                                         : metrics::end_reason::ws_handshake_failed);
  if (const auto suppressed = c.worker.handshake_failure_reports.allow())
    log::warn("#{} {}: {} handshake with {} failed: {}{}", c.id, c.peer, layer, remote_text(c), why,
              suppressed_note(*suppressed));
}

awaitable<std::optional<tls::stream>> secure(tcp::socket socket, const tls_layer& tls, connection& c) {
  const auto started = std::chrono::steady_clock::now();
  auto [ec, stream] =
      co_await tls::stream::connect(std::move(socket), tls.ssl_ctx.get(), tls.client, &c.worker.tickets);
  if (ec) {
    report_setup_failure(c, "TLS", stream && !stream->failure().empty() ? stream->failure() : ec.message());
    co_return std::nullopt;
  }
  stream->count_handshake(c.worker.metrics.tls, started);
  co_return std::move(stream);
}

awaitable<std::optional<ws::stream<tls::stream>>> secure_then_upgrade(tcp::socket socket, const wss_stack& stack,
                                                                      connection& c) {
  auto secured = co_await secure(std::move(socket), stack.tls, c);
  if (!secured) co_return std::nullopt;
  co_return co_await upgrade(std::move(*secured), stack.ws, c);
}

}  // namespace client_detail

namespace {

// With a ticket that allows early data, whatever the application has already sent rides
// in the TLS first flight (under ws, the upgrade request does instead).
awaitable<bool> send_early_application_data(net::tcp_stream& app, tls::stream& tunnel) {
  error_code ec;
  const std::size_t available = app.socket().available(ec);
  if (ec || available == 0 || !tunnel.in_client_early_phase()) co_return true;
  std::vector<std::byte> first(std::min<std::size_t>(available, 16 * 1024));
  auto [read_ec, n] = co_await app.read_some(first);
  if (read_ec) co_return false;
  co_return !co_await tunnel.write({std::span(first.data(), n), 0});
}

template <class Tunnel>
awaitable<void> relay_app(net::tcp_stream& app, Tunnel& tunnel, connection& c) {
  if constexpr (std::is_same_v<Tunnel, tls::stream>) {
    const bool sent = co_await send_early_application_data(app, tunnel);
    if (!sent) {
      app.abort();
      co_return;
    }
  }
  finish_relay(c, co_await net::relay(app, tunnel, c.config().limits, c.traffic));
}

}  // namespace

awaitable<void> client_session(tcp::socket inbound, connection c) {
  if (c.config().proxy.accept && !co_await accept_proxy_header(inbound, c)) co_return;
  note_destination(inbound, c);
  net::tcp_stream app(std::move(inbound));

  auto [ec, outbound] = co_await connect_to_remote(c);
  if (ec || co_await send_proxy_header(outbound, c)) {
    app.abort();  // a reset, not a FIN: the application must not mistake it for an empty reply
    co_return;
  }
  // Not a coroutine lambda: it only calls the named coroutine, whose references outlive it.
  const bool opened =
      co_await open_client_tunnel(std::move(outbound), c, [&](auto& tunnel) { return relay_app(app, tunnel, c); });
  if (!opened) app.abort();
}

}  // namespace kmr::app

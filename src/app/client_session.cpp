// SPDX-License-Identifier: MIT
// kaminaric's session: an application's connection, carried into the tunnel through the
// configured layers (plain, ws, tls, or ws inside tls).
#include "app/session.hpp"
#include "app/session_steps.hpp"
#include "net/tcp_stream.hpp"
#include "tls/stream.hpp"
#include "ws/upgrade.hpp"

namespace kmr::app {
namespace {

void report_setup_failure(session_context& ctx, std::uint64_t id, const std::string& peer, const char* layer,
                          const std::string& why) {
  if (const auto suppressed = ctx.handshake_failure_reports.allow())
    log::warn("#{} {}: {} handshake with {} failed: {}{}", id, peer, layer, ctx.config.remote.to_string(), why,
              suppressed_note(*suppressed));
}

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
                                             const std::string& peer) {
  auto [ec, stream] = co_await tls::stream::connect(std::move(socket), ctx.tls->context.get(), ctx.tls->client,
                                                     &ctx.tickets);
  if (ec) {
    report_setup_failure(ctx, id, peer, "TLS", stream && !stream->failure().empty() ? stream->failure() : ec.message());
    co_return std::nullopt;
  }
  co_return std::move(stream);
}

awaitable<std::optional<ws::stream<tls::stream>>> secure_then_upgrade(tcp::socket socket, session_context& ctx,
                                                                      std::uint64_t id, const std::string& peer) {
  auto secured = co_await secure(std::move(socket), ctx, id, peer);
  if (!secured) co_return std::nullopt;
  co_return co_await upgrade(std::move(*secured), ctx, id, peer);
}

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

// Sets up the tunnel's layers under the handshake deadline, then relays.
awaitable<void> relay_through_layers(net::tcp_stream& app, tcp::socket tunnel, session_context& ctx,
                                     std::uint64_t id, const std::string& peer) {
  const int fd = tunnel.native_handle();
  const bool ws = ctx.config.ws.has_value();
  if (!ctx.tls) {
    auto upgraded = co_await within_handshake_deadline(upgrade(net::tcp_stream(std::move(tunnel)), ctx, id, peer),
                                                       ctx, fd);
    if (upgraded.expired || !upgraded.value) co_return app.abort();
    co_return co_await relay_logged(app, *upgraded.value, ctx, id, peer);
  }
  if (ws) {
    auto upgraded = co_await within_handshake_deadline(secure_then_upgrade(std::move(tunnel), ctx, id, peer), ctx, fd);
    if (upgraded.expired || !upgraded.value) co_return app.abort();
    co_return co_await relay_logged(app, *upgraded.value, ctx, id, peer);
  }
  auto secured = co_await within_handshake_deadline(secure(std::move(tunnel), ctx, id, peer), ctx, fd);
  if (secured.expired || !secured.value || !co_await send_early_application_data(app, *secured.value))
    co_return app.abort();
  co_await relay_logged(app, *secured.value, ctx, id, peer);
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
  if (!ctx.config.ws && !ctx.tls) {
    net::tcp_stream tunnel(std::move(outbound));
    co_return co_await relay_logged(app, tunnel, ctx, id, peer);
  }
  co_await relay_through_layers(app, std::move(outbound), ctx, id, peer);
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "app/tunnel.hpp"

#include "core/log.hpp"
#include "core/report_exception.hpp"
#include "net/connect.hpp"
#include "net/relay.hpp"
#include "net/socket_options.hpp"

#include <memory>

namespace kmr::app {
namespace {

std::string peer_of(const tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  return ec ? std::string("?") : net::to_string(ep);
}

// Connects to the configured remote, trying each of its addresses.
awaitable<std::tuple<error_code, tcp::socket>> connect_remote(session_context& ctx) {
  auto [resolve_ec, addresses] = co_await ctx.resolver.resolve(ctx.config.remote);
  if (resolve_ec) co_return std::tuple{resolve_ec, tcp::socket(co_await asio::this_coro::executor)};
  co_return co_await net::connect_first(addresses, ctx.config.limits.connect_timeout);
}

awaitable<void> run_session(tcp::socket inbound, session_context& ctx, std::uint64_t id) {
  const auto& limits = ctx.config.limits;
  const auto peer = peer_of(inbound);
  net::tune_connection(inbound, limits.keepalive);

  auto [ec, outbound] = co_await connect_remote(ctx);
  if (ec) {
    if (const auto suppressed = ctx.connect_failure_reports.allow())
      log::warn("#{} {}: cannot connect to {}: {}{}", id, peer, ctx.config.remote.to_string(),
                ec.message(), suppressed_note(*suppressed));
    // A reset, not a FIN: the application must not mistake this for an empty reply.
    net::reset_on_close(inbound);
    co_return;
  }
  net::tune_connection(outbound, limits.keepalive);
  log::debug("#{} {}: connected to {}", id, peer, peer_of(outbound));

  // Both relay buffers in one allocation, owned by this coroutine for its lifetime.
  constexpr auto size = net::relay_storage_size;
  auto buffers = std::make_unique_for_overwrite<std::byte[]>(2 * size);
  const std::span<std::byte> up(buffers.get(), size), down(buffers.get() + size, size);
  net::tcp_stream app(std::move(inbound)), tunnel(std::move(outbound));
  const auto end = co_await net::relay(app, tunnel, up, down, limits);
  log::debug("#{} {}: {}", id, peer, net::describe(end));
}

}  // namespace

void start_session(tcp::socket inbound, session_context& ctx) {
  const auto id = ctx.next_id;
  ctx.next_id += ctx.id_stride;
  auto ex = inbound.get_executor();
  asio::co_spawn(ex, run_session(std::move(inbound), ctx, id), [id](std::exception_ptr e) {
    if (e) report_exception(fmt::format("#{}", id), e);
  });
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "app/session.hpp"

#include "app/session_steps.hpp"
#include "core/report_exception.hpp"
#include "net/connect.hpp"

#include <fmt/core.h>

namespace kmr::app {

awaitable<std::tuple<error_code, tcp::socket>> connect_logged(session_context& ctx, const opt::host_port& where,
                                                              std::uint64_t id, const peer_name& peer) {
  auto [ec, addresses] = co_await ctx.resolver.resolve(where);
  tcp::socket sock(co_await asio::this_coro::executor);
  if (!ec) std::tie(ec, sock) = co_await net::connect_first(addresses, ctx.config.limits.connect_timeout);
  if (ec) {
    if (const auto suppressed = ctx.connect_failure_reports.allow())
      log::warn("#{} {}: cannot connect to {}: {}{}", id, peer, where.to_string(), ec.message(),
                suppressed_note(*suppressed));
    co_return std::tuple{ec, std::move(sock)};
  }
  net::tune_connection(sock, ctx.config.limits.keepalive);
  if (log::enabled(log::level::debug)) log::debug("#{} {}: connected to {}", id, peer, peer_name(sock));
  co_return std::tuple{ec, std::move(sock)};
}

void start_session(tcp::socket inbound, session_context& ctx) {
  const auto id = ctx.next_id;
  ctx.next_id += ctx.id_stride;
  auto ex = inbound.get_executor();
  auto session = ctx.config.role == opt::side::client ? client_session(std::move(inbound), ctx, id)
                 : ctx.config.uot                     ? uot_server_session(std::move(inbound), ctx, id)
                                                      : server_session(std::move(inbound), ctx, id);
  asio::co_spawn(ex, std::move(session), [id](std::exception_ptr e) {
    if (e) report_exception(fmt::format("#{}", id), e);
  });
}

}  // namespace kmr::app

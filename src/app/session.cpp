// SPDX-License-Identifier: MIT
#include "app/session.hpp"

#include "app/session_steps.hpp"
#include "core/report_exception.hpp"
#include "app/connection_log.hpp"
#include "net/connect.hpp"
#include "net/socket_options.hpp"

#include <fmt/core.h>

namespace kmr::app {

awaitable<std::tuple<error_code, tcp::socket>> connect_logged(connection& c, const opt::host_port& where) {
  const auto& limits = c.config().limits;
  auto [ec, addresses] = co_await c.worker.resolver.resolve(where, limits.connect_timeout);
  tcp::socket sock(co_await asio::this_coro::executor);
  if (!ec) std::tie(ec, sock) = co_await net::connect_first(addresses, limits.connect_timeout);
  if (ec) {
    c.end(ec == asio::error::timed_out ? metrics::end_reason::connect_timeout : metrics::end_reason::connect_failed);
    if (const auto suppressed = c.worker.connect_failure_reports.allow())
      log::warn("#{} {}: cannot connect to {}: {}{}", c.id, c.peer, where.to_string(), ec.message(),
                suppressed_note(*suppressed));
    co_return std::tuple{ec, std::move(sock)};
  }
  net::tune_connection(sock, limits.keepalive);
  if (log::enabled(log::level::debug)) log::debug("#{} {}: connected to {}", c.id, c.peer, peer_name(sock));
  co_return std::tuple{ec, std::move(sock)};
}

metrics::end_reason reason_of(net::relay_end end) noexcept {
  switch (end) {
    case net::relay_end::completed: return metrics::end_reason::completed;
    case net::relay_end::failed: return metrics::end_reason::reset;
    case net::relay_end::idle_timeout: return metrics::end_reason::idle_timeout;
    case net::relay_end::half_close_timeout: return metrics::end_reason::half_close_timeout;
  }
  return metrics::end_reason::reset;
}

connection::connection(runtime_ptr snapshot, worker_state& w, std::uint64_t connection_id, peer_name from)
    : runtime(std::move(snapshot)), worker(w), id(connection_id), peer(from) {
  traffic.totals = {&w.metrics.bytes[0], &w.metrics.bytes[1]};
  w.metrics.accepted.add();
}

connection::connection(connection&& other) noexcept
    : runtime(std::move(other.runtime)), worker(other.worker), id(other.id), peer(other.peer),
      destination(other.destination), started(other.started), traffic(other.traffic), ending(other.ending),
      remote(other.remote) {
  other.owns_record_ = false;
}

connection::~connection() {
  if (!owns_record_) return;
  worker.metrics.ended_by(ending).add();
  if (runtime && runtime->config.log_connections) log_connection_end(*this);
}

void start_session(tcp::socket inbound, worker_state& worker) {
  connection c{worker.runtimes.current(), worker, worker.take_id(), peer_name(inbound)};
  auto slot = take_slot(*worker.connections);  // held until the session ends
  if (!slot) {
    c.end(metrics::end_reason::refused);
    if (const auto suppressed = worker.connection_limit_reports.allow())
      log::warn("#{} {}: {} connections open (max-connections); refusing new ones{}", c.id, c.peer,
                worker.connections->limit(), suppressed_note(*suppressed));
    net::reset_on_close(inbound);  // at once, and a reset: the client must not wait or read an empty reply
    return;
  }
  const auto id = c.id;
  const auto& config = c.config();
  auto ex = inbound.get_executor();
  auto session = config.role == opt::side::client ? client_session(std::move(inbound), std::move(c))
                 : config.uot                     ? uot_server_session(std::move(inbound), std::move(c))
                                                  : server_session(std::move(inbound), std::move(c));
  worker.open.fetch_add(1, std::memory_order_relaxed);
  asio::co_spawn(ex, std::move(session), [id, &worker, held = std::move(*slot)](std::exception_ptr e) {
    worker.open.fetch_sub(1, std::memory_order_relaxed);
    if (e) report_exception(fmt::format("#{}", id), e);
  });
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// kaminaris with uot: each tunnel connection is one UDP flow, with its own connected UDP
// socket to the remote. Records from the tunnel become datagrams, and datagrams from the
// remote become records, batched so that a burst costs one tunnel write.
#include "app/proxy_steps.hpp"
#include "app/server_tunnel.hpp"
#include "app/session.hpp"
#include "app/uot_flow.hpp"
#include "core/completion_latch.hpp"
#include "core/report_exception.hpp"
#include "uot/flow_budget.hpp"
#include "uot/record_batch.hpp"

#include <fmt/core.h>

namespace kmr::app {
namespace {

// Datagrams from the remote gathered into one tunnel write, at most: a burst of small
// ones (DNS answers, game state) leaves together, and latency stays one receive loop.
constexpr std::size_t batch_datagrams = 64;
constexpr std::size_t largest_record = uot::header_size + uot::max_datagram_size;
// A batch stops taking datagrams past 64 KiB, so the largest one still fits after that.
constexpr std::size_t batch_soft_limit = 64 * 1024;
constexpr std::size_t batch_bytes = batch_soft_limit + largest_record;

struct server_flow {
  server_flow(const asio::any_io_executor& ex, udp::socket socket, const opt::uot_config& cfg,
              metrics::worker_metrics& totals, std::vector<std::byte> header)
      : remote(std::move(socket)), control(ex, cfg.udp_timeout), counts(totals, metrics::direction::downstream),
        proxy_header(std::move(header)) {}

  udp::socket remote;  // connected: only the remote's datagrams arrive here
  flow_control control;
  flow_counts counts;
  // proxy-protocol=v2: the DGRAM header that starts every datagram to the remote (the
  // same for the whole flow: one client, one destination). Empty without it.
  std::vector<std::byte> proxy_header;
};

// Ends the flow: the receive loop is woken, and a tunnel write that may be stuck is
// freed by closing the tunnel.
template <class Tunnel>
void stop_flow(Tunnel& tunnel, server_flow& f, flow_end why) {
  f.control.end(why);
  error_code ignored;
  f.remote.cancel(ignored);
  if (f.control.writing()) tunnel.close();
}

template <class Tunnel>
awaitable<void> tunnel_to_remote(Tunnel& tunnel, server_flow& f) {
  const flow_end why = co_await records_to_udp(tunnel, f.remote, nullptr, f.control, f.counts, f.proxy_header);
  stop_flow(tunnel, f, why);
}

template <class Tunnel>
awaitable<void> watch_idle(Tunnel& tunnel, server_flow& f) {
  co_await f.control.watch();
  stop_flow(tunnel, f, flow_end::idle_timeout);  // keeps the first reason (or tunnel_stalled)
}

// Moves what the remote has sent into `batch`, without waiting. False if the socket
// failed for good.
bool drain_remote(server_flow& f, uot::record_batch& batch) {
  const auto scratch = receive_scratch();
  // Bounded: a round takes a datagram, or a pending ICMP error, or ends the loop.
  for (std::size_t round = 0; round < 2 * batch_datagrams && !batch.full() && batch.bytes() <= batch_soft_limit;
       ++round) {
    error_code ec;
    const std::size_t n = f.remote.receive(asio::buffer(scratch.data(), scratch.size()), 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
    if (ec == asio::error::connection_refused) continue;  // ICMP about an earlier datagram: UDP goes on
    if (ec) return false;
    if (n > uot::max_datagram_size || !batch.append(scratch.first(n))) {
      f.counts.drop(metrics::udp_drop::oversize);
      continue;
    }
    f.control.touch();
  }
  return true;
}

template <class Tunnel>
awaitable<void> remote_to_tunnel(Tunnel& tunnel, server_flow& f) {
  uot::record_batch batch(net::relay_headroom, batch_bytes, batch_datagrams);
  // Bounded by the flow's life: each round writes a batch or waits for the socket.
  while (!f.control.ending()) {
    if (!drain_remote(f, batch)) {
      f.control.end(flow_end::udp_failed);
      break;
    }
    if (batch.empty()) {
      auto [ec] = co_await f.remote.async_wait(udp::socket::wait_read, nothrow);
      if (ec && ec != asio::error::operation_aborted) f.control.end(flow_end::udp_failed);
      continue;
    }
    f.control.writing(true);
    const auto ec = co_await tunnel.write({batch.records(), batch.headroom()});
    f.control.writing(false);
    if (ec)
      f.counts.drop(metrics::udp_drop::tunnel_failed, batch.datagrams());
    else
      f.counts.into_tunnel(batch.datagrams());
    batch.clear();
    if (ec) f.control.end(flow_end::tunnel_failed);
  }
}

// A connected UDP socket to the remote: resolved for each tunnel (names follow DNS), and
// every address tried in turn. Failures are logged at most once a second per worker.
awaitable<std::tuple<error_code, udp::socket>> open_remote(connection& c) {
  const auto ex = co_await asio::this_coro::executor;
  c.remote = &c.config().remotes.front();  // one only: make_config refuses a list with uot here
  auto [ec, addresses] = co_await c.worker.resolver.resolve(*c.remote, c.config().limits.connect_timeout);
  udp::socket socket(ex);
  if (!ec) std::tie(ec, socket) = net::connect_udp_first(ex, addresses);
  if (ec) {
    c.end(metrics::end_reason::connect_failed);
    if (const auto suppressed = c.worker.connect_failure_reports.allow())
      log::warn("#{} {}: cannot reach {} over UDP: {}{}", c.id, c.peer, c.remote->to_string(), ec.message(),
                suppressed_note(*suppressed));
    co_return std::tuple{ec, std::move(socket)};
  }
  error_code ignored;
  log::debug("#{} {}: UDP to {}", c.id, c.peer, net::to_string(socket.remote_endpoint(ignored)));
  co_return std::tuple{ec, std::move(socket)};
}

// The flow over its open tunnel: this coroutine carries the remote's datagrams into the
// tunnel, a child carries the records out, another watches for idleness.
template <class Tunnel>
awaitable<void> carry_datagrams(Tunnel& tunnel, connection& c) {
  const auto ex = co_await asio::this_coro::executor;
  auto [ec, socket] = co_await open_remote(c);
  if (ec) {
    tunnel.abort();
    co_return;
  }
  server_flow f(ex, std::move(socket), *c.config().uot, c.worker.metrics,
                c.config().proxy.send ? proxy_header_for(c, true) : std::vector<std::byte>{});
  c.worker.metrics.udp_flows_created.add();
  completion_latch children(ex, 2);
  const auto on_child_end = [&](std::exception_ptr e) {
    if (e) {
      report_exception(fmt::format("#{}", c.id), e);
      stop_flow(tunnel, f, flow_end::tunnel_failed);
    }
    children.arrive();
  };
  asio::co_spawn(ex, tunnel_to_remote(tunnel, f), on_child_end);
  asio::co_spawn(ex, watch_idle(tunnel, f), on_child_end);
  std::exception_ptr failure;
  try {
    co_await remote_to_tunnel(tunnel, f);
  } catch (...) {
    failure = std::current_exception();  // the children use this frame: wait for them first
    stop_flow(tunnel, f, flow_end::tunnel_failed);
  }
  co_await close_flow_tunnel(tunnel, f.control.reason());
  error_code ignored;
  f.remote.close(ignored);
  co_await children.wait();
  log::debug("#{} {}: UDP flow ended ({}): {}", c.id, c.peer, describe(f.control.reason()), describe(f.counts));
  if (f.control.reason() == flow_end::idle_timeout) c.worker.metrics.udp_flows_expired.add();
  c.end(reason_of(f.control.reason()));
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

awaitable<void> uot_server_session(tcp::socket inbound, connection c) {
  if (c.config().proxy.accept && !co_await accept_proxy_header(inbound, c)) co_return;
  note_destination(inbound, c);
  const auto slot = uot::take_slot(*c.worker.udp_flows);  // held until the tunnel ends
  if (!slot) {
    c.end(metrics::end_reason::refused);
    thread_local rate_limit cap_reports(std::chrono::seconds(1));  // per worker, like the rest
    if (const auto suppressed = cap_reports.allow())
      log::warn("#{} {}: {} UDP flows open (udp-max-flows); refusing the tunnel{}", c.id, c.peer,
                c.worker.udp_flows->limit(),
                suppressed_note(*suppressed));
    net::reset_on_close(inbound);
    co_return;
  }
  // Not a coroutine lambda: it only calls the named coroutine, whose references outlive it.
  co_await open_server_tunnel(std::move(inbound), c, [&](auto& tunnel) { return carry_datagrams(tunnel, c); });
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "app/uot_client.hpp"

#include "app/client_tunnel.hpp"
#include "app/proxy_steps.hpp"
#include "app/uot_flow.hpp"
#include "core/completion_latch.hpp"
#include "core/report_exception.hpp"
#include "uot/datagram_queue.hpp"
#include "uot/flow_budget.hpp"

#include <fmt/core.h>

namespace kmr::app {

// One source address and its tunnel. Owned by uot_client's map; its coroutine (run_flow)
// ends before the map lets it go.
struct client_flow {
  client_flow(const asio::any_io_executor& ex, const udp::endpoint& from, connection conn, uot::flow_slot taken)
      : source(from), c(std::move(conn)), control(ex, c.config().uot->udp_timeout),
        queue(net::relay_headroom, uot::queue_limits{}), counts(c.worker.metrics, metrics::direction::upstream),
        slot(std::move(taken)) {}

  udp::endpoint source;
  connection c;  // the snapshot the flow runs with, its id, and the source as peer
  flow_control control;
  uot::datagram_queue queue;  // from the source, waiting for the tunnel
  flow_counts counts;
  uot::flow_slot slot;  // one of udp-max-flows, given back with the flow
};

namespace {

// Datagrams taken from the socket in one go before the other work of this thread gets a
// turn: enough to amortise the wake-up, small enough to keep the flows' latency low.
constexpr int receive_burst = 64;

// Ends the flow. A tunnel write that may be stuck (a peer that stopped reading) is freed
// by closing the tunnel; otherwise the writer is woken and closes it itself.
template <class Tunnel>
void stop_flow(Tunnel& tunnel, client_flow& f, flow_end why) {
  f.control.end(why);
  if (f.control.writing()) tunnel.close();
}

template <class Tunnel>
awaitable<void> tunnel_to_source(Tunnel& tunnel, client_flow& f, udp::socket& socket) {
  const flow_end why = co_await records_to_udp(tunnel, socket, &f.source, f.control, f.counts);
  stop_flow(tunnel, f, why);
}

template <class Tunnel>
awaitable<void> watch_idle(Tunnel& tunnel, client_flow& f) {
  co_await f.control.watch();
  stop_flow(tunnel, f, flow_end::idle_timeout);  // keeps the first reason (or tunnel_stalled)
}

// Writes whatever the queue holds, one batch per write, until the flow ends.
template <class Tunnel>
awaitable<void> queue_to_tunnel(Tunnel& tunnel, client_flow& f) {
  // Bounded by the flow's life: each round writes a batch or sleeps until there is one.
  while (!f.control.ending()) {
    uot::record_batch* batch = f.queue.take();
    if (!batch) {
      co_await f.control.wait_for_work();
      continue;
    }
    f.control.writing(true);
    const auto ec = co_await tunnel.write({batch->records(), batch->headroom()});
    f.control.writing(false);
    if (ec)
      f.counts.drop(metrics::udp_drop::tunnel_failed, batch->datagrams());
    else
      f.counts.into_tunnel(batch->datagrams());
    f.queue.done(*batch);
    if (ec) f.control.end(flow_end::tunnel_failed);
  }
}

// The flow over its open tunnel: this coroutine writes, a child reads and sends the
// answers to the source, another watches for idleness. Returns after both children.
template <class Tunnel>
awaitable<void> carry_flow(Tunnel& tunnel, client_flow& f, udp::socket& socket) {
  const auto ex = co_await asio::this_coro::executor;
  completion_latch children(ex, 2);
  const auto on_child_end = [&](std::exception_ptr e) {
    if (e) {
      report_exception(fmt::format("#{}", f.c.id), e);
      stop_flow(tunnel, f, flow_end::tunnel_failed);
    }
    children.arrive();
  };
  asio::co_spawn(ex, tunnel_to_source(tunnel, f, socket), on_child_end);
  asio::co_spawn(ex, watch_idle(tunnel, f), on_child_end);
  std::exception_ptr failure;
  try {
    co_await queue_to_tunnel(tunnel, f);
  } catch (...) {
    failure = std::current_exception();  // the children use this frame: wait for them first
    stop_flow(tunnel, f, flow_end::tunnel_failed);
  }
  co_await close_flow_tunnel(tunnel, f.control.reason());
  co_await children.wait();
  if (failure) std::rethrow_exception(failure);
}

awaitable<void> run_flow(client_flow& f, uot_client& owner) {
  auto [ec, outbound] = co_await connect_to_remote(f.c);
  if (ec || co_await send_proxy_header(outbound, f.c, true)) {
    f.control.end(flow_end::no_remote);
    co_return;
  }
  // Not a coroutine lambda: it only calls the named coroutine, whose references outlive it.
  const bool opened = co_await open_client_tunnel(
      std::move(outbound), f.c, [&f, &owner](auto& tunnel) { return carry_flow(tunnel, f, owner.socket()); });
  if (!opened) f.control.end(flow_end::tunnel_failed);
}

}  // namespace

uot_client::uot_client(udp::socket socket, worker_state& worker) : socket_(std::move(socket)), worker_(worker) {}

uot_client::~uot_client() = default;

awaitable<void> uot_client::run() {
  const auto scratch = receive_scratch();
  asio::steady_timer backoff(socket_.get_executor());
  for (;;) {  // until the socket is closed
    error_code ec;
    int received = 0;
    for (; received < receive_burst; ++received) {
      udp::endpoint from;
      const std::size_t n = socket_.receive_from(asio::buffer(scratch.data(), scratch.size()), from, 0, ec);
      if (ec) break;
      if (n > uot::max_datagram_size) {  // only IPv6 can carry it, and no record can
        worker_.metrics.dropped(metrics::udp_drop::oversize).add();
        if (const auto suppressed = drop_reports_.allow())
          log::warn("{}: a datagram over {} bytes cannot be carried; dropped{}", net::to_string(from),
                    uot::max_datagram_size, suppressed_note(*suppressed));
        continue;
      }
      dispatch(from, scratch.first(n));
    }
    if (!socket_.is_open()) co_return;
    if (received == receive_burst) {  // more may be waiting: let the flows run first
      co_await asio::post(socket_.get_executor(), nothrow);
      continue;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      auto [wait_ec] = co_await socket_.async_wait(udp::socket::wait_read, nothrow);
      if (wait_ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      continue;
    }
    // ENOBUFS, ENOMEM and the like: report, pause briefly, go on.
    if (const auto suppressed = receive_reports_.allow())
      log::warn("UDP receive failed: {}{}; retrying", ec.message(), suppressed_note(*suppressed));
    backoff.expires_after(std::chrono::milliseconds(50));
    co_await backoff.async_wait(nothrow);
  }
}

void uot_client::dispatch(const udp::endpoint& from, std::span<const std::byte> datagram) {
  const auto it = flows_.find(from);
  client_flow* f = it != flows_.end() ? it->second.get() : accepting_ ? start_flow(from) : nullptr;
  if (!f) return;
  if (f->control.ending()) {  // its tunnel is gone; the next datagram opens a new flow
    f->counts.drop(metrics::udp_drop::tunnel_failed);
    return;
  }
  f->control.touch();  // traffic, even if the queue cannot take it
  if (!f->queue.push(datagram)) {
    f->counts.drop(metrics::udp_drop::queue_full);
    if (const auto suppressed = drop_reports_.allow())
      log::warn("#{} {}: the flow's queue is full (its tunnel is slow); dropping datagrams ({} so far){}", f->c.id,
                f->c.peer, f->counts.dropped(), suppressed_note(*suppressed));
    return;
  }
  f->control.notify();
}

client_flow* uot_client::start_flow(const udp::endpoint& from) {
  auto slot = uot::take_slot(*worker_.udp_flows);
  if (!slot) {
    worker_.metrics.dropped(metrics::udp_drop::flow_limit).add();
    if (const auto suppressed = cap_reports_.allow())
      log::warn("{}: {} UDP flows open (udp-max-flows); dropping datagrams from new sources{}", net::to_string(from),
                worker_.udp_flows->limit(), suppressed_note(*suppressed));
    return nullptr;
  }
  connection c{worker_.runtimes.current(), worker_, worker_.take_id(), peer_name(from)};
  if (c.config().proxy.send) {
    // The address the source sent to: our socket's (its wildcard, if it listens on one).
    error_code ec;
    const auto local = socket_.local_endpoint(ec);
    if (!ec) c.destination = tcp::endpoint(local.address(), local.port());
  }
  auto flow = std::make_unique<client_flow>(socket_.get_executor(), from, std::move(c), std::move(*slot));
  client_flow& f = *flow;
  flows_.emplace(from, std::move(flow));
  log::debug("#{} {}: new UDP flow", f.c.id, f.c.peer);
  worker_.metrics.udp_flows_created.add();
  worker_.open.fetch_add(1, std::memory_order_relaxed);
  asio::co_spawn(socket_.get_executor(), run_flow(f, *this), [this, &f](std::exception_ptr e) {
    report_exception(fmt::format("#{}", f.c.id), e);
    forget(f);
    worker_.open.fetch_sub(1, std::memory_order_relaxed);
  });
  return &f;
}

void uot_client::forget(client_flow& f) {
  f.counts.drop(metrics::udp_drop::tunnel_failed, f.queue.waiting());  // never reached the tunnel
  if (f.control.reason() == flow_end::idle_timeout) worker_.metrics.udp_flows_expired.add();
  // The flow's reason, unless a step of its set-up already named a more precise one.
  if (f.c.ending == metrics::end_reason::aborted) f.c.end(reason_of(f.control.reason()));
  log::debug("#{} {}: UDP flow ended ({}): {}", f.c.id, f.c.peer, describe(f.control.reason()), describe(f.counts));
  const auto it = flows_.find(f.source);
  if (it != flows_.end() && it->second.get() == &f) flows_.erase(it);  // destroys f
}

}  // namespace kmr::app

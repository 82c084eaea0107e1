// SPDX-License-Identifier: MIT
// What both ends of a UDP flow share: how a flow ends (first reason wins, the others are
// woken), its idle watch (udp-timeout), its counts, and the tunnel-to-UDP direction:
// records read from the tunnel, sent as datagrams in order.
#pragma once

#include "core/asio.hpp"
#include "core/deadline.hpp"
#include "metrics/tunnel_metrics.hpp"
#include "net/relay.hpp"        // relay_headroom, kept free in front of tunnel writes
#include "net/relay_watch.hpp"  // coarse_now
#include "net/udp_socket.hpp"
#include "uot/framing.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace kmr::app {

enum class flow_end {
  none,
  tunnel_closed,
  tunnel_failed,
  tunnel_stalled,
  bad_record,
  idle_timeout,
  no_remote,
  udp_failed
};
const char* describe(flow_end e) noexcept;

// One flow's datagram counts, for its last log line, each also added to the worker's
// metrics as it happens.
class flow_counts {
 public:
  // `inbound`: the direction of datagrams that go into the tunnel here (upstream at the
  // client, downstream at the server).
  flow_counts(metrics::worker_metrics& totals, metrics::direction inbound) noexcept
      : totals_(totals), inbound_(static_cast<std::size_t>(inbound)) {}

  void into_tunnel(std::uint64_t n) noexcept {
    into_tunnel_ += n;
    totals_.datagrams[inbound_].add(n);
  }
  void out_of_tunnel() noexcept {
    ++out_of_tunnel_;
    totals_.datagrams[1 - inbound_].add();
  }
  void drop(metrics::udp_drop why, std::uint64_t n = 1) noexcept {
    dropped_ += n;
    totals_.dropped(why).add(n);
  }
  std::uint64_t into_tunnel() const noexcept { return into_tunnel_; }
  std::uint64_t out_of_tunnel_count() const noexcept { return out_of_tunnel_; }
  std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  metrics::worker_metrics& totals_;
  std::size_t inbound_;
  std::uint64_t into_tunnel_ = 0;    // datagrams written into the tunnel
  std::uint64_t out_of_tunnel_ = 0;  // datagrams from the tunnel, sent on
  std::uint64_t dropped_ = 0;        // lost here: queue full, too big, or refused by the kernel
};

// How a flow's end counts in kaminari_connections_ended_total.
metrics::end_reason reason_of(flow_end e) noexcept;

// "12 in, 10 out, 0 dropped", for the flow's last log line.
std::string describe(const flow_counts& c);

// One flow's shared state (one thread): the end, the idle timer, and the writer's wait.
class flow_control {
 public:
  flow_control(const asio::any_io_executor& ex, std::chrono::milliseconds idle_limit);

  // A datagram went either way: the flow is not idle.
  void touch() noexcept { last_activity_ = net::coarse_now(); }

  // Ends the flow for `why` (the first reason is kept) and wakes the watch and the writer.
  void end(flow_end why) noexcept;
  bool ending() const noexcept { return reason_ != flow_end::none; }
  flow_end reason() const noexcept { return reason_; }

  // Returns once the flow has had no traffic for the idle limit (then it is ended with
  // idle_timeout), or one tunnel write has taken that long (tunnel_stalled: a peer that
  // stopped reading must not keep a busy flow forever), or it was ended for another reason.
  awaitable<void> watch();

  // The writer sleeps here until notify() or end().
  awaitable<void> wait_for_work();
  void notify() noexcept;

  // The writer marks its tunnel writes, so that whoever ends the flow knows whether a
  // write may be stuck (then the tunnel must be closed to free it).
  void writing(bool busy) noexcept {
    writing_ = busy;
    if (busy) write_started_ = net::coarse_now();
  }
  bool writing() const noexcept { return writing_; }

 private:
  asio::steady_timer idle_;
  asio::steady_timer work_;  // never expires; cancel() is the wake-up
  std::chrono::milliseconds idle_limit_;
  std::chrono::steady_clock::time_point last_activity_ = net::coarse_now();
  std::chrono::steady_clock::time_point write_started_{};
  flow_end reason_ = flow_end::none;
  bool writer_waiting_ = false;
  bool writing_ = false;
};

// This thread's buffer for receiving one datagram (the largest, plus one byte to see that
// a datagram was larger). Its content is valid until the caller's next co_await.
std::span<std::byte> receive_scratch();

// Reads records from `tunnel` and sends each datagram on `socket` (to `to`, or to the
// connected peer when `to` is null), in order, until the tunnel ends or sends a bad
// record. A datagram the kernel refuses is dropped and counted, as UDP may. Each datagram
// sent starts with `prefix` (a PROXY header), if any.
template <class Tunnel>
awaitable<flow_end> records_to_udp(Tunnel& tunnel, udp::socket& socket, const udp::endpoint* to,
                                   flow_control& control, flow_counts& counts,
                                   std::span<const std::byte> prefix = {}) {
  uot::record_reader reader;
  for (;;) {
    auto [ec, n] = co_await tunnel.read_some(reader.prepare());
    reader.commit(n);
    // Bounded: at most one datagram per two bytes just read.
    while (const auto datagram = reader.next()) {
      control.touch();
      const auto send_ec = co_await net::send_datagram(socket, *datagram, to, prefix);
      if (send_ec)
        counts.drop(metrics::udp_drop::send_failed);
      else
        counts.out_of_tunnel();
    }
    if (reader.failure() != uot::record_reader::error::none) co_return flow_end::bad_record;
    if (ec == asio::error::eof)
      co_return reader.finish() == uot::record_reader::error::none ? flow_end::tunnel_closed : flow_end::bad_record;
    if (ec) co_return flow_end::tunnel_failed;
  }
}

namespace flow_detail {
template <class Tunnel>
awaitable<bool> send_end_of_stream(Tunnel& tunnel) {
  co_await tunnel.send_end_of_stream();
  co_return true;
}
}  // namespace flow_detail

// The tunnel at the flow's end. After an idle timeout the peer gets a clean end of stream
// first (TCP FIN, TLS close_notify), so it ends its side of the flow at once; that takes
// at most two seconds, even if the peer stopped reading. Closing then ends the reader.
template <class Tunnel>
awaitable<void> close_flow_tunnel(Tunnel& tunnel, flow_end why) {
  if (why == flow_end::idle_timeout)
    co_await with_deadline(flow_detail::send_end_of_stream(tunnel), std::chrono::seconds(2),
                           [&tunnel] { tunnel.close(); });
  tunnel.close();
}

}  // namespace kmr::app

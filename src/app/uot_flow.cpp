// SPDX-License-Identifier: MIT
#include "app/uot_flow.hpp"

#include <fmt/core.h>

#include <memory>

namespace kmr::app {

const char* describe(flow_end e) noexcept {
  switch (e) {
    case flow_end::none: return "open";
    case flow_end::tunnel_closed: return "tunnel closed";
    case flow_end::tunnel_failed: return "tunnel failed";
    case flow_end::tunnel_stalled: return "tunnel stalled";
    case flow_end::bad_record: return "bad record";
    case flow_end::idle_timeout: return "idle timeout";
    case flow_end::no_remote: return "no remote";
    case flow_end::udp_failed: return "UDP socket failed";
  }
  return "?";
}

std::string describe(const flow_counts& c) {
  return fmt::format("{} into the tunnel, {} out of it, {} dropped", c.into_tunnel(), c.out_of_tunnel_count(),
                     c.dropped());
}

metrics::end_reason reason_of(flow_end e) noexcept {
  switch (e) {
    case flow_end::none: return metrics::end_reason::aborted;
    case flow_end::tunnel_closed: return metrics::end_reason::completed;
    case flow_end::tunnel_failed:
    case flow_end::tunnel_stalled:
    case flow_end::bad_record:
    case flow_end::udp_failed: return metrics::end_reason::reset;
    case flow_end::idle_timeout: return metrics::end_reason::idle_timeout;
    case flow_end::no_remote: return metrics::end_reason::connect_failed;
  }
  return metrics::end_reason::aborted;
}

flow_control::flow_control(const asio::any_io_executor& ex, std::chrono::milliseconds idle_limit)
    : idle_(ex), work_(ex, std::chrono::steady_clock::time_point::max()), idle_limit_(idle_limit) {}

void flow_control::end(flow_end why) noexcept {
  if (reason_ != flow_end::none) return;
  reason_ = why;
  idle_.cancel();
  notify();
}

awaitable<void> flow_control::watch() {
  // Bounded by the flow's life: each round ends it or waits until the new deadline.
  while (!ending()) {
    idle_.expires_at(last_activity_ + idle_limit_);
    co_await idle_.async_wait(nothrow);
    if (ending()) break;
    // The precise clock here (rare path): the coarse one may lag the timer by a tick. A
    // stuck write is seen within two limits: the timer follows the traffic.
    const auto now = std::chrono::steady_clock::now();
    if (now >= last_activity_ + idle_limit_)
      end(flow_end::idle_timeout);
    else if (writing_ && now >= write_started_ + idle_limit_)
      end(flow_end::tunnel_stalled);
  }
}

awaitable<void> flow_control::wait_for_work() {
  if (ending()) co_return;
  writer_waiting_ = true;
  co_await work_.async_wait(nothrow);
  writer_waiting_ = false;
}

void flow_control::notify() noexcept {
  if (!writer_waiting_) return;
  writer_waiting_ = false;  // one wake-up is enough until the writer waits again
  work_.cancel();
}

std::span<std::byte> receive_scratch() {
  constexpr std::size_t size = uot::max_datagram_size + 1;
  thread_local const auto buffer = std::make_unique_for_overwrite<std::byte[]>(size);
  return {buffer.get(), size};
}

}  // namespace kmr::app

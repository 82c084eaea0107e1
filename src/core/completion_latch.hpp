// SPDX-License-Identifier: MIT
// Waits, inside a coroutine, until N other activities of the same thread have finished.
// Structured concurrency without parallel_group: each child's completion handler calls
// arrive(), and the parent co_awaits wait() before its frame (which the children use)
// goes away.
#pragma once

#include "core/asio.hpp"

#include <chrono>

namespace kmr {

class completion_latch {
 public:
  completion_latch(asio::any_io_executor ex, int count)
      : event_(std::move(ex), std::chrono::steady_clock::time_point::max()), pending_(count) {}

  void arrive() noexcept {
    if (--pending_ == 0) event_.cancel();
  }

  awaitable<void> wait() {
    while (pending_ > 0) co_await event_.async_wait(nothrow);
  }

 private:
  asio::steady_timer event_;  // never expires; cancel() is the wake-up
  int pending_;
};

}  // namespace kmr

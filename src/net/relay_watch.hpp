// SPDX-License-Identifier: MIT
// The state one relay's two directions share, and its watchdog: the idle and half-close
// limits, and how the relay ended.
#pragma once

#include "core/asio.hpp"
#include "opt/config.hpp"

#include <time.h>

#include <chrono>

namespace kmr::net {

enum class relay_end { completed, failed, idle_timeout, half_close_timeout };
const char* describe(relay_end e) noexcept;

// The monotonic clock at the kernel tick's resolution: cheap enough to read per chunk,
// precise enough (a few ms) for timeouts counted in seconds. Same epoch as steady_clock.
inline std::chrono::steady_clock::time_point coarse_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) +
                                               std::chrono::nanoseconds(ts.tv_nsec));
}

// State shared by the two pumps and the watchdog of one connection (one thread).
class relay_watch {
 public:
  relay_watch(asio::any_io_executor ex, const opt::relay_limits& limits)
      : wakeup_(std::move(ex)), idle_limit_(limits.idle_timeout),
        half_close_limit_(limits.half_close_timeout) {}

  void touch() noexcept { last_activity_ = coarse_now(); }
  void direction_ended(bool cleanly) noexcept {
    if (!cleanly) failed_ = true;
    ++ended_;
    wakeup_.cancel();  // the watchdog re-evaluates: half-closed now, or failed
  }

  // Returns `completed` once both directions have ended, `failed` as soon as one fails,
  // or a timeout verdict when a limit passes first.
  awaitable<relay_end> watch();

 private:
  asio::steady_timer wakeup_;
  std::chrono::milliseconds idle_limit_;
  std::chrono::milliseconds half_close_limit_;
  std::chrono::steady_clock::time_point last_activity_ = coarse_now();
  int ended_ = 0;
  bool failed_ = false;
};

}  // namespace kmr::net

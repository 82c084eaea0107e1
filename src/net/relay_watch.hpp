// SPDX-License-Identifier: MIT
// The state one relay's two directions share, and its watchdog: the idle and half-close
// limits, and how the relay ended.
#pragma once

#include "core/asio.hpp"
#include "metrics/counter.hpp"
#include "opt/config.hpp"

#include <time.h>

#include <array>
#include <chrono>
#include <cstdint>

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

// The payload bytes one relay moved, by direction (0: a to b, 1: b to a), for the
// connection's log line, and the worker's running totals (null: not counted), which the
// metrics scrape reads while the connection lives.
struct traffic {
  std::array<std::uint64_t, 2> bytes{};
  std::array<metrics::counter*, 2> totals{};
};

// State shared by the two pumps and the watchdog of one connection (one thread). The
// watchdog is a timer with a plain completion handler, not a coroutine: a held
// connection then carries one small pending wait instead of a spawned coroutine's frames.
class relay_watch {
 public:
  // Called once with the verdict; `context` is the caller's, passed back.
  using verdict_handler = void (*)(void* context, relay_end verdict);

  relay_watch(asio::any_io_executor ex, const opt::relay_limits& limits, traffic& counted)
      : wakeup_(std::move(ex)), idle_limit_(limits.idle_timeout),
        half_close_limit_(limits.half_close_timeout), traffic_(counted) {}
  relay_watch(const relay_watch&) = delete;
  relay_watch& operator=(const relay_watch&) = delete;

  void touch() noexcept { last_activity_ = coarse_now(); }
  // `n` bytes went in `direction` (0 or 1): activity, and counted.
  void moved(std::size_t direction, std::size_t n) noexcept {
    touch();
    traffic_.bytes[direction] += n;
    if (auto* total = traffic_.totals[direction]) total->add(n);
  }
  void direction_ended(bool cleanly) noexcept {
    if (!cleanly) failed_ = true;
    ++ended_;
    wakeup_.cancel();  // the watchdog re-evaluates: half-closed now, or failed
  }

  // Starts watching. `on_verdict` runs once, from the event loop: with `completed` once
  // both directions have ended, `failed` as soon as one fails, or a timeout verdict when
  // a limit passes first. The relay_watch must outlive that call.
  void start(verdict_handler on_verdict, void* context);

 private:
  void arm();
  void on_wakeup(const error_code& ec);

  asio::steady_timer wakeup_;
  std::chrono::milliseconds idle_limit_;
  std::chrono::milliseconds half_close_limit_;
  traffic& traffic_;
  std::chrono::steady_clock::time_point last_activity_ = coarse_now();
  verdict_handler on_verdict_ = nullptr;
  void* context_ = nullptr;
  int ended_ = 0;
  bool failed_ = false;
};

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// The counting primitives of the metrics (docs/metrics.md): each is written by one thread
// only (its worker, or the control thread) and read by the scrape on the control thread,
// which sums the workers' copies. One writer means no read-modify-write: an increment is
// a plain load and store on a cache line no other thread writes, so counting on the data
// path costs what a local variable does (DESIGN.md §3: counters per thread, summed when
// scraped).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kmr::metrics {

// A monotonic count with a single writer thread.
class counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The upper bounds of the handshake duration histograms, in seconds: from a loopback
// handshake (a fraction of a millisecond) to the default handshake timeout (10 s).
inline constexpr std::array<double, 14> handshake_seconds_bounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A duration histogram with a single writer thread: one count per bucket (not cumulative;
// the last one is above every bound) and the sum in nanoseconds.
class duration_histogram {
 public:
  static constexpr std::span<const double> bounds() noexcept { return handshake_seconds_bounds; }
  static constexpr std::size_t bucket_count = handshake_seconds_bounds.size() + 1;

  void observe(std::chrono::nanoseconds d) noexcept {
    const double seconds = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < handshake_seconds_bounds.size() && seconds > handshake_seconds_bounds[i]) ++i;
    buckets_[i].add();
    sum_ns_.add(d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0);
  }
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].value(); }
  std::uint64_t sum_ns() const noexcept { return sum_ns_.value(); }

 private:
  std::array<counter, bucket_count> buckets_{};
  counter sum_ns_;
};

}  // namespace kmr::metrics

// SPDX-License-Identifier: MIT
#include "sys/heap_trim.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kmr::sys {

bool heap_trim_policy::observe(std::uint64_t open, clock::time_point now) noexcept {
  if (open > peak_) peak_ = open;
  const std::uint64_t fell_since_last = previous_ > open ? previous_ - open : 0;
  previous_ = open;
  const std::uint64_t drop = peak_ - open;
  // Still falling by more than a quarter of min_drop a sample: the burst is being closed.
  const bool settled = fell_since_last < settings_.min_drop / 4 + 1;
  const bool gap_over = !trimmed_ || now - last_trim_ >= settings_.min_gap;
  if (drop < settings_.min_drop || open * 4 > peak_ || !settled || !gap_over) return false;
  peak_ = open;
  trimmed_ = true;
  last_trim_ = now;
  return true;
}

bool trim_heap() noexcept {
#if defined(__GLIBC__)
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

}  // namespace kmr::sys

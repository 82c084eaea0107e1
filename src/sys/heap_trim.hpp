// SPDX-License-Identifier: MIT
// Giving freed heap memory back to the system after a burst of connections. glibc keeps
// what a burst freed: its arenas shrink only from the top, so 10,000 closed TLS
// connections left each process 300 MB larger for good (docs/operations.md).
// malloc_trim(0) hands every free page back (madvise) in all arenas. It is not free: after
// 10,000 TLS connections it took 0.33-0.59 s, holding each arena's lock while it worked
// on that arena, so a worker that allocates meanwhile waits. It is therefore run only when
// a burst is over and few connections are left to notice, and not often.
#pragma once

#include <chrono>
#include <cstdint>

namespace kmr::sys {

// Decides, from the count of open connections sampled now and then, when a burst is over:
// the count has fallen to a quarter of its peak since the last trim or below, and by at
// least `min_drop`; it has stopped falling fast (the closes have been carried out, not
// just begun); and the last trim is `min_gap` old. Pure: the caller samples and trims.
class heap_trim_policy {
 public:
  using clock = std::chrono::steady_clock;

  struct settings {
    std::uint64_t min_drop = 256;  // connections; fewer never left much behind
    std::chrono::milliseconds min_gap{std::chrono::seconds(5)};
  };

  heap_trim_policy() : heap_trim_policy(settings{}) {}
  explicit heap_trim_policy(settings s) : settings_(s) {}

  // True: trim now (and the peak starts again from `open`).
  bool observe(std::uint64_t open, clock::time_point now) noexcept;

 private:
  settings settings_;
  std::uint64_t peak_ = 0;
  std::uint64_t previous_ = 0;
  bool trimmed_ = false;
  clock::time_point last_trim_{};
};

// Hands the free pages of every malloc arena back to the system. False where the C
// library has no such call (then it does nothing).
bool trim_heap() noexcept;

}  // namespace kmr::sys

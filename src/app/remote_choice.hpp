// SPDX-License-Identifier: MIT
// The order in which one connection tries a list of remotes (balance=, backoff=). Each
// worker thread keeps its own, so nothing is shared or locked. Pure logic: the time is
// passed in, so tests need no sockets and no waiting.
#pragma once

#include "opt/config.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace kmr::app {

class remote_choice {
 public:
  using clock = std::chrono::steady_clock;

  // The indices of `count` remotes in the order one connection tries them: in list
  // order for failover; for roundrobin, from the cursor on, and the cursor moves on by
  // one. Remotes set aside at `now` come last, in the same order, so that they are still
  // tried when all the others fail. A `count` other than the last call's starts afresh.
  std::vector<std::size_t> candidates(std::size_t count, opt::balance_mode mode, clock::time_point now);

  // Connecting to remote `index` failed at `now`: it is set aside until now + backoff.
  void failed(std::size_t index, clock::time_point now, clock::duration backoff);
  // Connecting to remote `index` worked: it is no longer set aside.
  void succeeded(std::size_t index) noexcept;

  // Whether remote `index` is set aside at `now` (false for an index never seen).
  bool set_aside(std::size_t index, clock::time_point now) const noexcept;

 private:
  std::vector<clock::time_point> until_;  // per remote; set aside while now < until
  std::size_t cursor_ = 0;                // roundrobin: where the next connection starts
};

}  // namespace kmr::app

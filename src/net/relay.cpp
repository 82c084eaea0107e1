// SPDX-License-Identifier: MIT
#include "net/relay.hpp"

namespace kmr::net {

const char* describe(relay_end e) noexcept {
  switch (e) {
    case relay_end::completed: return "closed";
    case relay_end::failed: return "failed";
    case relay_end::idle_timeout: return "idle timeout";
    case relay_end::half_close_timeout: return "half-close timeout";
  }
  return "?";
}

awaitable<relay_end> relay_watch::watch() {
  for (;;) {
    if (failed_) co_return relay_end::failed;
    if (ended_ == 2) co_return relay_end::completed;
    const bool half_closed = ended_ == 1;
    const auto limit = half_closed ? half_close_limit_ : idle_limit_;
    if (limit.count() == 0)
      wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
    else
      wakeup_.expires_at(last_activity_ + limit);

    auto [ec] = co_await wakeup_.async_wait(nothrow);
    if (ec) continue;  // woken by a direction ending: re-evaluate
    // The precise clock here (rare path): the coarse one may lag the timer by a tick.
    if (limit.count() != 0 && std::chrono::steady_clock::now() >= last_activity_ + limit)
      co_return half_closed ? relay_end::half_close_timeout : relay_end::idle_timeout;
  }
}

}  // namespace kmr::net

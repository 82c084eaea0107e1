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

void relay_watch::start(verdict_handler on_verdict, void* context) {
  on_verdict_ = on_verdict;
  context_ = context;
  arm();
}

// Decides now if it can; otherwise waits for the limit that applies (or a cancel() from
// direction_ended, which brings it back here).
void relay_watch::arm() {
  if (failed_) return on_verdict_(context_, relay_end::failed);
  if (ended_ == 2) return on_verdict_(context_, relay_end::completed);
  const auto limit = ended_ == 1 ? half_close_limit_ : idle_limit_;
  if (limit.count() == 0)
    wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
  else
    wakeup_.expires_at(last_activity_ + limit);
  wakeup_.async_wait([this](const error_code& ec) { on_wakeup(ec); });
}

void relay_watch::on_wakeup(const error_code& ec) {
  const bool half_closed = ended_ == 1;
  const auto limit = half_closed ? half_close_limit_ : idle_limit_;
  // The precise clock here (rare path): the coarse one may lag the timer by a tick.
  if (!ec && limit.count() != 0 && std::chrono::steady_clock::now() >= last_activity_ + limit)
    return on_verdict_(context_, half_closed ? relay_end::half_close_timeout : relay_end::idle_timeout);
  arm();  // woken by a direction ending, or activity moved the deadline: re-evaluate
}

}  // namespace kmr::net

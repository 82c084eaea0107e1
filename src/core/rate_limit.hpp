// SPDX-License-Identifier: MIT
// Lets one event through per interval and counts the rest, so a storm of identical
// failures (a dead remote, a full descriptor table) yields one log line a second.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kmr {

class rate_limit {
 public:
  explicit rate_limit(std::chrono::milliseconds interval) : interval_(interval) {}

  // nullopt: stay quiet. Otherwise: go ahead, and this many were suppressed since.
  std::optional<unsigned> allow() noexcept {
    const auto now = std::chrono::steady_clock::now();
    if (reported_ && now - last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    reported_ = true;
    last_ = now;
    const unsigned n = suppressed_;
    suppressed_ = 0;
    return n;
  }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  bool reported_ = false;
  unsigned suppressed_ = 0;
};

// " (N similar suppressed)" after a report that stood for others, or nothing.
inline std::string suppressed_note(unsigned suppressed) {
  return suppressed == 0 ? std::string() : " (" + std::to_string(suppressed) + " similar suppressed)";
}

}  // namespace kmr

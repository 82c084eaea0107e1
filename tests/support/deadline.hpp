// SPDX-License-Identifier: MIT
// Deadlines for test steps: every blocking call in the support library takes one, so a
// stuck product fails a test within that test's own budget instead of hanging ctest.
#pragma once

#include <algorithm>
#include <chrono>
#include <climits>

namespace kmr::test {

using clock = std::chrono::steady_clock;
using deadline = clock::time_point;
using namespace std::chrono_literals;

// A deadline `d` from now.
inline deadline after(clock::duration d) { return clock::now() + d; }

// Milliseconds left until `d`, rounded up and clamped to [0, INT_MAX], as poll() wants.
inline int poll_timeout_ms(deadline d) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(d - clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
}

// Seconds since `start`, as a double for readable assertion messages.
inline double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

}  // namespace kmr::test

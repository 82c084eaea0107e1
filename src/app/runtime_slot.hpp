// SPDX-License-Identifier: MIT
// The snapshot new connections take: published by the control thread (at start and at
// each reload), read by every worker at each accept. One atomic shared pointer: a reader
// gets either the old snapshot or the new one, whole, and keeps it alive while it uses it.
#pragma once

#include "app/runtime.hpp"

#include <atomic>

namespace kmr::app {

class runtime_slot {
 public:
  explicit runtime_slot(runtime_ptr first) : current_(std::move(first)) {}

  runtime_ptr current() const noexcept { return current_.load(std::memory_order_acquire); }
  void publish(runtime_ptr next) noexcept { current_.store(std::move(next), std::memory_order_release); }

 private:
  std::atomic<runtime_ptr> current_;
};

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// The cap on concurrent UDP flows (udp-max-flows=), shared by every worker of the process:
// an atomic count, so a flood of spoofed sources cannot take every descriptor.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace kmr::uot {

class flow_budget {
 public:
  explicit flow_budget(std::size_t limit) noexcept : limit_(limit) {}

  // Takes one slot; false when all are in use.
  bool try_acquire() noexcept {
    // Optimistic: a racing acquire may briefly push the count past the limit, and is
    // undone at once, so the limit is never exceeded by a flow that keeps its slot.
    if (in_use_.fetch_add(1, std::memory_order_relaxed) < limit_) return true;
    in_use_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void release() noexcept { in_use_.fetch_sub(1, std::memory_order_relaxed); }
  std::size_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::size_t limit_;
  std::atomic<std::size_t> in_use_{0};
};

// One taken slot, given back when the flow that holds it is destroyed.
class flow_slot {
 public:
  flow_slot() = default;
  // Holds a slot already taken with b.try_acquire().
  explicit flow_slot(flow_budget& b) noexcept : budget_(&b) {}
  flow_slot(flow_slot&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)) {}
  flow_slot& operator=(flow_slot&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = std::exchange(o.budget_, nullptr);
    }
    return *this;
  }
  flow_slot(const flow_slot&) = delete;
  flow_slot& operator=(const flow_slot&) = delete;
  ~flow_slot() { reset(); }

  void reset() noexcept {
    if (budget_) std::exchange(budget_, nullptr)->release();
  }

 private:
  flow_budget* budget_ = nullptr;
};

// A slot of `b`, or nullopt when all are in use.
inline std::optional<flow_slot> take_slot(flow_budget& b) noexcept {
  if (!b.try_acquire()) return std::nullopt;
  return std::optional<flow_slot>(std::in_place, b);
}

}  // namespace kmr::uot

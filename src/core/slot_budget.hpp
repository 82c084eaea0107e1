// SPDX-License-Identifier: MIT
// A cap shared by every worker of the process, as an atomic count: the connections open at
// once (max-connections=) and the UDP flows (udp-max-flows=), so that neither a burst of
// clients nor a flood of spoofed sources can take every descriptor.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace kmr {

class slot_budget {
 public:
  explicit slot_budget(std::size_t limit) noexcept : limit_(limit) {}

  // Takes one slot; false when all are in use.
  bool try_acquire() noexcept {
    // Optimistic: a racing acquire may briefly push the count past the limit, and is
    // undone at once, so the limit is never exceeded by a holder that keeps its slot.
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

// One taken slot, given back when its holder is destroyed.
class budget_slot {
 public:
  budget_slot() = default;
  // Holds a slot already taken with b.try_acquire().
  explicit budget_slot(slot_budget& b) noexcept : budget_(&b) {}
  budget_slot(budget_slot&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)) {}
  budget_slot& operator=(budget_slot&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = std::exchange(o.budget_, nullptr);
    }
    return *this;
  }
  budget_slot(const budget_slot&) = delete;
  budget_slot& operator=(const budget_slot&) = delete;
  ~budget_slot() { reset(); }

  void reset() noexcept {
    if (budget_) std::exchange(budget_, nullptr)->release();
  }

 private:
  slot_budget* budget_ = nullptr;
};

// A slot of `b`, or nullopt when all are in use.
inline std::optional<budget_slot> take_slot(slot_budget& b) noexcept {
  if (!b.try_acquire()) return std::nullopt;
  return std::optional<budget_slot>(std::in_place, b);
}

}  // namespace kmr

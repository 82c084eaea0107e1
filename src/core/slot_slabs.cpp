// SPDX-License-Identifier: MIT
#include "core/slot_slabs.hpp"

#include <new>

namespace kmr {
namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

slot_slabs::slot_slabs(std::size_t slot_size, std::size_t slots_per_slab)
    : slot_size_(round_up(slot_size < sizeof(free_slot) ? sizeof(free_slot) : slot_size,
                          alignof(std::max_align_t))),
      per_slab_(slots_per_slab == 0 ? 1 : slots_per_slab) {}

slot_slabs::~slot_slabs() { release_all(); }

void* slot_slabs::allocate() {
  const std::lock_guard lock(mutex_);
  if (free_) {
    auto* slot = free_;
    free_ = slot->next;
    ++live_;
    return slot;
  }
  if (slabs_.empty() || carved_ == per_slab_) {
    auto* slab = static_cast<std::byte*>(::operator new(slot_size_ * per_slab_));
    try {
      slabs_.push_back(slab);
    } catch (...) {
      ::operator delete(slab);
      throw;
    }
    carved_ = 0;
  }
  ++live_;
  return slabs_.back() + slot_size_ * carved_++;
}

void slot_slabs::deallocate(void* slot) noexcept {
  if (slot == nullptr) return;
  const std::lock_guard lock(mutex_);
  free_ = new (slot) free_slot{free_};
  if (--live_ == 0) release_all();
}

void slot_slabs::release_all() noexcept {
  for (auto* slab : slabs_) ::operator delete(slab);
  slabs_.clear();
  slabs_.shrink_to_fit();
  carved_ = 0;
  free_ = nullptr;
}

std::size_t slot_slabs::live() const {
  const std::lock_guard lock(mutex_);
  return live_;
}

std::size_t slot_slabs::slabs() const {
  const std::lock_guard lock(mutex_);
  return slabs_.size();
}

}  // namespace kmr

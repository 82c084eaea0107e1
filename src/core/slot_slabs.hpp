// SPDX-License-Identifier: MIT
// Fixed-size slots carved from large slabs, for small objects that are made one at a time
// among a connection's short-lived allocations and then kept for the life of the process
// (Asio's per-socket reactor state, core/asio_impl.cpp). Made by malloc, each such object
// would land between the buffers of the connections open at that moment, and once those
// are freed it would hold its page, so a burst of 10,000 connections left 60 MB that
// malloc_trim could not give back (docs/operations.md). From slabs they sit together.
// A freed slot is reused first; the slabs are released once every slot is free.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace kmr {

class slot_slabs {
 public:
  // Each slot is slot_size bytes, aligned for any type (rounded up to max_align_t).
  slot_slabs(std::size_t slot_size, std::size_t slots_per_slab);
  ~slot_slabs();
  slot_slabs(const slot_slabs&) = delete;
  slot_slabs& operator=(const slot_slabs&) = delete;

  void* allocate();  // any thread; throws std::bad_alloc as operator new does
  void deallocate(void* slot) noexcept;

  std::size_t live() const;   // slots handed out and not yet given back
  std::size_t slabs() const;  // slabs held

 private:
  struct free_slot {
    free_slot* next;
  };
  void release_all() noexcept;

  const std::size_t slot_size_;
  const std::size_t per_slab_;
  mutable std::mutex mutex_;  // taken only when Asio's own pool has no free object
  std::vector<std::byte*> slabs_;
  std::size_t carved_ = 0;  // slots handed out from slabs_.back() so far
  free_slot* free_ = nullptr;
  std::size_t live_ = 0;
};

// The slots of Asio's epoll descriptor states (core/asio_impl.cpp), for the tests; null
// when this Asio is not the one the hook was written for (then malloc holds them).
const slot_slabs* asio_descriptor_slots() noexcept;

}  // namespace kmr

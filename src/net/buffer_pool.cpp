// SPDX-License-Identifier: MIT
#include "net/buffer_pool.hpp"

namespace kmr::net {

buffer_pool& buffer_pool::local() {
  thread_local buffer_pool pool;
  return pool;
}

std::byte* buffer_pool::acquire() {
  if (idle_.empty()) return std::make_unique_for_overwrite<std::byte[]>(buffer_size).release();
  std::byte* b = idle_.back().release();
  idle_.pop_back();
  return b;
}

void buffer_pool::release(std::byte* b) noexcept {
  std::unique_ptr<std::byte[]> owned(b);
  if (idle_.size() >= max_idle) return;  // freed
  try {
    idle_.push_back(std::move(owned));
  } catch (...) {
    // out of memory while pooling: the buffer is freed instead
  }
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// Relay buffers lent per thread: a relay direction borrows one when its source has data
// and gives it back when the source runs dry, so an idle connection holds no buffer (the
// way haproxy keeps held connections at a few kB).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace kmr::net {

class buffer_pool {
 public:
  // 64 KiB of payload: one read, one WebSocket frame, a few TLS records per trip through
  // the event loop. Idle connections hold none, so the size costs only busy ones.
  static constexpr std::size_t buffer_size = 64 * 1024 + 16;  // payload + headroom

  static buffer_pool& local();  // this thread's pool

  std::byte* acquire();
  void release(std::byte* b) noexcept;

 private:
  static constexpr std::size_t max_idle = 32;  // 2 MiB kept at most, per thread
  std::vector<std::unique_ptr<std::byte[]>> idle_;
};

// A borrowed buffer, returned to the thread's pool on destruction or release().
class buffer_lease {
 public:
  buffer_lease() = default;
  ~buffer_lease() { release(); }
  buffer_lease(const buffer_lease&) = delete;
  buffer_lease& operator=(const buffer_lease&) = delete;

  std::span<std::byte> get() {
    if (!data_) data_ = buffer_pool::local().acquire();
    return {data_, buffer_pool::buffer_size};
  }
  void release() noexcept {
    if (data_) buffer_pool::local().release(data_);
    data_ = nullptr;
  }

 private:
  std::byte* data_ = nullptr;
};

}  // namespace kmr::net

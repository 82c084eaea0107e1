// SPDX-License-Identifier: MIT
// A flow's datagrams on their way into the tunnel: one batch fills while the other is
// being written, so each tunnel write carries everything that arrived meanwhile, in
// order. Bounded: a datagram that does not fit the filling batch is refused (the caller
// drops and counts it), which is what UDP may do when a path is slow.
#pragma once

#include "uot/record_batch.hpp"

#include <cstddef>
#include <span>

namespace kmr::uot {

struct queue_limits {
  std::size_t datagrams = 128;       // waiting (not yet handed to the tunnel)
  std::size_t bytes = 128 * 1024;    // of records waiting; room for two of the largest
};

class datagram_queue {
 public:
  datagram_queue(std::size_t headroom, const queue_limits& limits)
      : batches_{record_batch(headroom, limits.bytes, limits.datagrams),
                 record_batch(headroom, limits.bytes, limits.datagrams)} {}

  // Queues a copy of `datagram`; false if the queue is full.
  bool push(std::span<const std::byte> datagram) { return batches_[filling_].append(datagram); }

  // Everything queued so far, to write in one go, or null if nothing is. New datagrams
  // go to the other batch meanwhile. Call done() once it has been written.
  record_batch* take() noexcept {
    if (taken_ || batches_[filling_].empty()) return nullptr;
    taken_ = true;
    record_batch* b = &batches_[filling_];
    filling_ ^= 1;
    return b;
  }
  void done(record_batch& b) noexcept {
    b.clear();
    taken_ = false;
  }

  std::size_t waiting() const noexcept { return batches_[filling_].datagrams(); }

 private:
  record_batch batches_[2];
  int filling_ = 0;
  bool taken_ = false;
};

}  // namespace kmr::uot

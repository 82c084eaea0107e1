// SPDX-License-Identifier: MIT
// Datagrams framed back to back (uot/framing.hpp) behind reserved headroom, so a whole
// batch leaves in one tunnel write and a ws layer can put its frame header in front of
// it without a copy. Pure code; bounded in datagrams and bytes.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace kmr::uot {

class record_batch {
 public:
  // At most `max_bytes` of records (headers included) and `max_datagrams` datagrams, with
  // `headroom` free bytes in front of the first record. The storage grows on demand up
  // to that size and is then reused: nothing is allocated per datagram once warm.
  record_batch(std::size_t headroom, std::size_t max_bytes, std::size_t max_datagrams);

  // Copies `datagram` in as one record; false, and nothing changes, if a limit would be
  // passed.
  bool append(std::span<const std::byte> datagram);

  // Room for one payload of up to `max_payload` bytes right after its header, for a
  // receive straight into the batch; empty if a limit would be passed. commit() keeps it.
  std::span<std::byte> prepare(std::size_t max_payload);
  // The payload written at prepare() is `payload_size` bytes (at most what was prepared).
  void commit(std::size_t payload_size) noexcept;

  // The records, with headroom() writable bytes in front of them.
  std::span<std::byte> records() noexcept { return {storage_.data() + headroom_, used_}; }
  std::size_t headroom() const noexcept { return headroom_; }
  std::size_t datagrams() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return used_; }
  bool empty() const noexcept { return count_ == 0; }
  bool full() const noexcept { return count_ >= max_datagrams_; }

  void clear() noexcept {
    used_ = 0;
    count_ = 0;
  }

 private:
  bool reserve(std::size_t record_bytes);

  std::vector<std::byte> storage_;  // headroom, then the records
  std::size_t headroom_;
  std::size_t max_bytes_;
  std::size_t max_datagrams_;
  std::size_t used_ = 0;  // bytes of records
  std::size_t count_ = 0;
  std::size_t prepared_ = 0;  // payload room handed out by prepare()
};

}  // namespace kmr::uot

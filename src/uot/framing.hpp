// SPDX-License-Identifier: MIT
// UDP over TCP records (kaminari-wire §8.1): each datagram travels on the tunnel stream as
// `u16 big-endian length ‖ payload`. Pure code: an in-place encoder and a streaming decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace kmr::uot {

inline constexpr std::size_t header_size = 2;
// The largest UDP payload over IPv4 (65535 - 20 - 8), and the most a record may claim.
// A larger record could not become a datagram, so a reader treats it as an error.
inline constexpr std::size_t max_datagram_size = 65507;
// What the u16 length field can express.
inline constexpr std::size_t max_record_payload = 0xffff;

// Writes the header for `payload.size()` (at most max_record_payload) into the
// header_size bytes in front of `payload`, which the caller keeps free, and returns the
// whole record: header then payload, one contiguous span.
std::span<std::byte> frame_in_place(std::span<std::byte> payload) noexcept;

// The header alone, for writers that keep it apart from the payload.
void encode_header(std::size_t payload_size, std::span<std::byte, header_size> out) noexcept;

// Decodes a record stream that arrives in pieces of any size, into whole datagrams.
// It owns one buffer: bytes are read straight into prepare(), announced with commit(),
// and next() hands out each whole datagram in place. A partial record is moved to the
// front of the buffer before the next read, so a datagram never needs a copy of its own.
// The buffer starts at 16 KiB and grows once, to the largest record, the first time a
// record needs it: nothing is allocated per record, and flows of small datagrams (DNS)
// stay small.
class record_reader {
 public:
  enum class error { none, oversized, truncated };

  // Records may carry at most `max_payload` bytes (at most max_record_payload).
  explicit record_reader(std::size_t max_payload = max_datagram_size);

  // Where the next read goes: never empty while the reader is usable (not failed and
  // next() has no whole record left).
  std::span<std::byte> prepare();
  // `n` bytes (at most prepare().size()) were written at the start of prepare().
  void commit(std::size_t n) noexcept;

  // The next whole datagram (possibly empty), valid until the next call to prepare();
  // nullopt when more bytes are needed or after an error.
  std::optional<std::span<std::byte>> next() noexcept;

  // The stream ended: an error if it ended inside a record.
  error finish() noexcept;

  error failure() const noexcept { return failure_; }
  // Bytes of an incomplete record held for the next read.
  std::size_t pending() const noexcept { return end_ - start_; }
  std::size_t max_payload() const noexcept { return max_payload_; }

 private:
  void grow_for_pending_record();

  std::size_t max_payload_;
  std::size_t capacity_;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t start_ = 0;  // first byte not yet handed out
  std::size_t end_ = 0;    // one past the last byte received
  error failure_ = error::none;
};

const char* describe(record_reader::error e) noexcept;

}  // namespace kmr::uot

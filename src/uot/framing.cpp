// SPDX-License-Identifier: MIT
#include "uot/framing.hpp"

#include <algorithm>
#include <cstring>

namespace kmr::uot {

void encode_header(std::size_t payload_size, std::span<std::byte, header_size> out) noexcept {
  out[0] = static_cast<std::byte>((payload_size >> 8) & 0xff);
  out[1] = static_cast<std::byte>(payload_size & 0xff);
}

std::span<std::byte> frame_in_place(std::span<std::byte> payload) noexcept {
  std::byte* const start = payload.data() - header_size;
  encode_header(payload.size(), std::span<std::byte, header_size>(start, header_size));
  return {start, header_size + payload.size()};
}

namespace {
constexpr std::size_t initial_capacity = 16 * 1024;

std::size_t length_at(const std::byte* header) noexcept {
  return std::to_integer<std::size_t>(header[0]) << 8 | std::to_integer<std::size_t>(header[1]);
}
}  // namespace

record_reader::record_reader(std::size_t max_payload)
    : max_payload_(std::min(max_payload, max_record_payload)),
      capacity_(std::min(header_size + max_payload_, initial_capacity)),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(capacity_)) {}

// Called with the partial record at the front: if its header is known and the record
// does not fit, the buffer grows to the largest record (once per reader).
void record_reader::grow_for_pending_record() {
  if (end_ < header_size) return;
  const std::size_t needed = header_size + length_at(buffer_.get());
  if (needed <= capacity_ || needed > header_size + max_payload_) return;  // fits, or next() refuses it
  const std::size_t grown = header_size + max_payload_;
  auto bigger = std::make_unique_for_overwrite<std::byte[]>(grown);
  std::memcpy(bigger.get(), buffer_.get(), end_);
  buffer_ = std::move(bigger);
  capacity_ = grown;
}

std::span<std::byte> record_reader::prepare() {
  if (failure_ != error::none) return {};
  // The incomplete record (if any) moves to the front, so the rest of it always fits:
  // the buffer holds the largest record. It is shorter than one record, so the copying
  // costs at most as much as the reading did.
  if (start_ == end_) {
    start_ = end_ = 0;
  } else if (start_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  grow_for_pending_record();
  return {buffer_.get() + end_, capacity_ - end_};
}

void record_reader::commit(std::size_t n) noexcept { end_ = std::min(capacity_, end_ + n); }

std::optional<std::span<std::byte>> record_reader::next() noexcept {
  if (failure_ != error::none) return std::nullopt;
  const std::size_t available = end_ - start_;
  if (available < header_size) return std::nullopt;
  const std::size_t length = length_at(buffer_.get() + start_);
  // Checked as soon as the header is known: waiting for the body would let a peer make
  // us buffer up to 64 KiB for a record that can never be delivered.
  if (length > max_payload_) {
    failure_ = error::oversized;
    return std::nullopt;
  }
  if (available < header_size + length) return std::nullopt;
  const std::span<std::byte> datagram(buffer_.get() + start_ + header_size, length);
  start_ += header_size + length;
  return datagram;
}

record_reader::error record_reader::finish() noexcept {
  if (failure_ == error::none && end_ != start_) failure_ = error::truncated;
  return failure_;
}

const char* describe(record_reader::error e) noexcept {
  switch (e) {
    case record_reader::error::none: return "no error";
    case record_reader::error::oversized: return "a record is longer than the largest datagram";
    case record_reader::error::truncated: return "the stream ended inside a record";
  }
  return "?";
}

}  // namespace kmr::uot

// SPDX-License-Identifier: MIT
#include "uot/record_batch.hpp"

#include "uot/framing.hpp"

#include <algorithm>
#include <cstring>

namespace kmr::uot {

namespace {
// The first allocation: enough for a burst of small datagrams (DNS, games) without
// regrowing; big datagrams grow it once.
constexpr std::size_t initial_bytes = 4096;
}  // namespace

record_batch::record_batch(std::size_t headroom, std::size_t max_bytes, std::size_t max_datagrams)
    : headroom_(headroom), max_bytes_(max_bytes), max_datagrams_(max_datagrams) {}

bool record_batch::reserve(std::size_t record_bytes) {
  if (count_ >= max_datagrams_ || used_ + record_bytes > max_bytes_) return false;
  const std::size_t needed = headroom_ + used_ + record_bytes;
  if (storage_.size() < needed) {
    // Doubling, capped at the limit: a few growths at most, then the storage stays.
    const std::size_t grown = std::max({needed, 2 * storage_.size(), headroom_ + initial_bytes});
    storage_.resize(std::min(grown, headroom_ + max_bytes_));
  }
  return true;
}

bool record_batch::append(std::span<const std::byte> datagram) {
  if (datagram.size() > max_record_payload || !reserve(header_size + datagram.size())) return false;
  std::byte* const record = storage_.data() + headroom_ + used_;
  encode_header(datagram.size(), std::span<std::byte, header_size>(record, header_size));
  if (!datagram.empty()) std::memcpy(record + header_size, datagram.data(), datagram.size());
  used_ += header_size + datagram.size();
  ++count_;
  return true;
}

std::span<std::byte> record_batch::prepare(std::size_t max_payload) {
  prepared_ = 0;
  if (max_payload > max_record_payload + 1 || !reserve(header_size + max_payload)) return {};
  prepared_ = max_payload;
  return {storage_.data() + headroom_ + used_ + header_size, max_payload};
}

void record_batch::commit(std::size_t payload_size) noexcept {
  if (payload_size > prepared_ || payload_size > max_record_payload) return;
  std::byte* const record = storage_.data() + headroom_ + used_;
  encode_header(payload_size, std::span<std::byte, header_size>(record, header_size));
  used_ += header_size + payload_size;
  ++count_;
  prepared_ = 0;
}

}  // namespace kmr::uot

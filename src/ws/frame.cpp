// SPDX-License-Identifier: MIT
#include "ws/frame.hpp"

#include <algorithm>
#include <cstring>

namespace kmr::ws {
namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0f;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t len_bits = 0x7f;
constexpr std::uint8_t len16_code = 126;
constexpr std::uint8_t len64_code = 127;

std::uint8_t u8(std::byte b) noexcept { return std::to_integer<std::uint8_t>(b); }

bool is_zero(const mask_key& key) noexcept {
  return (u8(key[0]) | u8(key[1]) | u8(key[2]) | u8(key[3])) == 0;
}

bool is_control(std::uint8_t op) noexcept { return (op & 0x08) != 0; }

// Bytes of the extended length that follow the first two header bytes (RFC 6455 §5.2).
std::size_t extended_len_size(std::uint8_t len7) noexcept {
  return len7 == len16_code ? 2 : len7 == len64_code ? 8 : 0;
}

std::uint64_t xor8(const std::byte* p, std::uint64_t key) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);  // memcpy: no alignment or aliasing assumptions
  return w ^ key;
}

}  // namespace

std::size_t header_size_for(std::uint64_t payload_len, bool masked) noexcept {
  const std::size_t ext = payload_len <= 125 ? 0 : payload_len <= 0xffff ? 2 : 8;
  return 2 + ext + (masked ? 4 : 0);
}

std::size_t encode_header(const frame_header& h,
                          std::span<std::byte, max_header_size> out) noexcept {
  out[0] =
      std::byte{static_cast<std::uint8_t>((h.fin ? fin_bit : 0) | static_cast<std::uint8_t>(h.op))};
  const std::uint8_t m = h.mask ? mask_bit : 0;
  std::size_t n = 2;
  if (h.payload_len <= 125) {
    out[1] = std::byte{static_cast<std::uint8_t>(m | h.payload_len)};
  } else {
    const std::size_t ext = h.payload_len <= 0xffff ? 2 : 8;
    out[1] = std::byte{static_cast<std::uint8_t>(m | (ext == 2 ? len16_code : len64_code))};
    for (std::size_t i = 0; i < ext; ++i)  // network byte order (RFC 6455 §5.2)
      out[n + i] = std::byte{static_cast<std::uint8_t>(h.payload_len >> (8 * (ext - 1 - i)))};
    n += ext;
  }
  if (h.mask) {
    std::copy(h.mask->begin(), h.mask->end(), out.begin() + n);
    n += 4;
  }
  return n;
}

std::size_t apply_mask(std::span<std::byte> data, const mask_key& key, std::size_t phase) noexcept {
  phase &= 3;
  const std::size_t next_phase = (phase + data.size()) & 3;
  if (data.empty() || is_zero(key)) return next_phase;
  // Eight key bytes rotated so that data[0] meets key[phase]: byte i then always uses
  // rotated[i % 8], and whole 64-bit words can be XORed (and vectorised) at once.
  std::array<std::byte, 8> rotated;
  for (std::size_t i = 0; i < rotated.size(); ++i) rotated[i] = key[(phase + i) & 3];
  std::uint64_t k;
  std::memcpy(&k, rotated.data(), sizeof k);
  std::byte* p = data.data();
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const std::uint64_t a = xor8(p + i, k), b = xor8(p + i + 8, k);
    const std::uint64_t c = xor8(p + i + 16, k), d = xor8(p + i + 24, k);
    std::memcpy(p + i, &a, 8);
    std::memcpy(p + i + 8, &b, 8);
    std::memcpy(p + i + 16, &c, 8);
    std::memcpy(p + i + 24, &d, 8);
  }
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t a = xor8(p + i, k);
    std::memcpy(p + i, &a, 8);
  }
  for (; i < n; ++i) p[i] ^= rotated[i & 7];
  return next_phase;
}

std::size_t encode_control(opcode op, std::span<const std::byte> payload,
                           std::optional<mask_key> mask, std::span<std::byte> out) noexcept {
  if (!is_control(static_cast<std::uint8_t>(op)) || static_cast<std::uint8_t>(op) > 0xa ||
      payload.size() > max_control_payload)
    return 0;
  std::array<std::byte, max_header_size> head;
  const std::size_t n = encode_header({true, op, mask, payload.size()}, head);
  if (out.size() < n + payload.size()) return 0;
  std::copy_n(head.begin(), n, out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + n);
  if (mask) apply_mask(out.subspan(n, payload.size()), *mask, 0);
  return n + payload.size();
}

// --- frame_reader ---------------------------------------------------------------------

step frame_reader::fail(const char* why) noexcept {
  state_ = state::failed;
  error_ = why;
  return {step::kind::protocol_error, 0, {}, {}, why};
}

// Checks what the first two header bytes decide, so a bad frame is refused before the
// rest of its header arrives.
const char* frame_reader::check_first_bytes() const noexcept {
  const std::uint8_t b0 = u8(header_[0]), b1 = u8(header_[1]);
  // RFC 6455 §5.2: RSV bits need a negotiated extension, and we negotiate none.
  if (b0 & rsv_bits) return "reserved bits set without an extension";
  const bool fin = (b0 & fin_bit) != 0;
  switch (static_cast<opcode>(b0 & opcode_bits)) {
    case opcode::continuation:
      return in_message_ ? nullptr : "continuation frame without a message in progress";
    case opcode::binary:
      // RFC 6455 §5.4: the fragments of one message may not interleave with another.
      return in_message_ ? "new data frame inside a fragmented message" : nullptr;
    case opcode::text:
      // We carry byte streams; the original aborts on text too (kaminari-wire §5.8).
      return "text frame on a binary stream";
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
      if (!fin) return "fragmented control frame";  // RFC 6455 §5.5
      if ((b1 & len_bits) > max_control_payload) return "control frame payload over 125 bytes";
      return nullptr;
  }
  return "unknown opcode";
}

// Collects header bytes from `input` (a header may arrive split across reads; at most
// 14 bytes are kept); returns the bytes used and sets `complete` once the header is whole.
std::size_t frame_reader::read_header(std::span<const std::byte> input, bool& complete) noexcept {
  std::size_t used = 0;
  for (;;) {
    std::size_t need = 2;
    if (header_len_ >= 2) {
      const std::uint8_t b1 = u8(header_[1]);
      need += extended_len_size(b1 & len_bits) + ((b1 & mask_bit) ? 4 : 0);
    }
    complete = header_len_ == need;
    if (complete || used == input.size()) return used;
    const std::size_t n = std::min(need - header_len_, input.size() - used);
    std::copy_n(input.begin() + used, n, header_.begin() + header_len_);
    const bool had_first_two = header_len_ >= 2;
    header_len_ = static_cast<std::uint8_t>(header_len_ + n);
    used += n;
    if (!had_first_two && header_len_ >= 2) {
      if (const char* why = check_first_bytes()) {
        fail(why);
        return used;
      }
    }
  }
}

// Decodes the complete header in header_ and prepares for its payload.
const char* frame_reader::start_frame() noexcept {
  const std::uint8_t b0 = u8(header_[0]), b1 = u8(header_[1]);
  std::size_t pos = 2;
  std::uint64_t len = b1 & len_bits;
  const std::size_t ext = extended_len_size(static_cast<std::uint8_t>(len));
  if (ext != 0) {
    len = 0;
    for (std::size_t i = 0; i < ext; ++i) len = len << 8 | u8(header_[pos + i]);
    pos += ext;
    // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0. Lengths that
    // are not minimally encoded are accepted: the original accepts them as well.
    if (ext == 8 && (len >> 63) != 0) return "64-bit payload length with the top bit set";
  }
  masked_ = false;
  if (b1 & mask_bit) {
    std::copy_n(header_.begin() + pos, 4, key_.begin());
    masked_ = !is_zero(key_);  // zero key: kaminari's skip mode, the XOR is the identity
  }
  op_ = static_cast<opcode>(b0 & opcode_bits);
  if (!is_control(static_cast<std::uint8_t>(op_))) in_message_ = (b0 & fin_bit) == 0;
  header_len_ = 0;
  control_len_ = 0;
  phase_ = 0;
  remaining_ = len;
  state_ = state::payload;
  return nullptr;
}

// Accumulates a control frame's payload in control_ (it may arrive split) and unmasks it
// there with the running phase.
step frame_reader::control_bytes(std::span<std::byte> input, std::size_t pos) noexcept {
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - pos));
  std::copy_n(input.begin() + pos, n, control_.begin() + control_len_);
  if (masked_) phase_ = apply_mask(std::span(control_).subspan(control_len_, n), key_, phase_);
  control_len_ = static_cast<std::uint8_t>(control_len_ + n);
  remaining_ -= n;
  pos += n;
  if (remaining_ != 0) return {step::kind::need_more, pos, {}, {}, nullptr};
  return finish_control(pos);
}

step frame_reader::finish_control(std::size_t consumed) noexcept {
  step s{step::kind::need_more, consumed, {}, std::span(control_).first(control_len_), nullptr};
  if (op_ == opcode::close) {
    // The close payload (status code, reason) is reported but not validated: the
    // original ignores it (kaminari-wire §5.8), and it cannot change what we do.
    state_ = state::closed;
    s.what = step::kind::close;
  } else {
    state_ = state::header;
    s.what = op_ == opcode::ping ? step::kind::ping : step::kind::pong;
  }
  return s;
}

step frame_reader::next(std::span<std::byte> input) noexcept {
  std::size_t pos = 0;
  for (;;) {
    if (state_ == state::closed)
      return {step::kind::close, 0, {}, std::span(control_).first(control_len_), nullptr};
    if (state_ == state::failed) return {step::kind::protocol_error, 0, {}, {}, error_};
    if (state_ == state::header) {
      bool complete = false;
      pos += read_header(input.subspan(pos), complete);
      if (state_ == state::failed) return {step::kind::protocol_error, pos, {}, {}, error_};
      if (!complete) return {step::kind::need_more, pos, {}, {}, nullptr};
      if (const char* why = start_frame()) {
        step s = fail(why);
        s.consumed = pos;
        return s;
      }
    }
    if (is_control(static_cast<std::uint8_t>(op_))) return control_bytes(input, pos);
    if (remaining_ == 0) {  // a zero-length (or finished) data frame: nothing to report
      state_ = state::header;
      continue;
    }
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - pos));
    if (n == 0) return {step::kind::need_more, pos, {}, {}, nullptr};
    const std::span<std::byte> slice = input.subspan(pos, n);
    // The phase carries over between reads: restarting at key byte 0 on every read is
    // the original's data-corruption bug (kaminari-wire §5.11 defect 1).
    if (masked_) phase_ = apply_mask(slice, key_, phase_);
    remaining_ -= n;
    if (remaining_ == 0) state_ = state::header;
    return {step::kind::data, pos + n, slice, {}, nullptr};
  }
}

frame_reader::expectation frame_reader::expecting() const noexcept {
  using kind = expectation::kind;
  switch (state_) {
    case state::header:
      return {kind::header, 0};
    case state::payload:
      if (is_control(static_cast<std::uint8_t>(op_))) return {kind::control, remaining_};
      return {masked_ ? kind::unmasked_by_next : kind::verbatim, remaining_};
    case state::closed:
    case state::failed:
      break;
  }
  return {kind::ended, 0};
}

void frame_reader::skip_verbatim(std::uint64_t n) noexcept {
  remaining_ -= std::min(n, remaining_);
  if (remaining_ == 0) state_ = state::header;
}

}  // namespace kmr::ws

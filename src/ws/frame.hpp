// SPDX-License-Identifier: MIT
// WebSocket frames (RFC 6455 §5), pure: header encoding, masking, and a streaming reader
// that unmasks in place in the caller's buffer. No sockets, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace kmr::ws {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xa,
};

using mask_key = std::array<std::byte, 4>;

struct frame_header {
  bool fin = true;
  opcode op = opcode::binary;
  std::optional<mask_key> mask;  // set: MASK bit and key on the wire (client frames)
  std::uint64_t payload_len = 0;
};

constexpr std::size_t max_header_size = 14;       // 2 + 8 (64-bit length) + 4 (key)
constexpr std::size_t max_control_payload = 125;  // RFC 6455 §5.5
constexpr std::size_t max_control_frame_size = 2 + 4 + max_control_payload;

// Size of the header for a frame of `payload_len` bytes, so that a writer can reserve
// headroom in front of its payload (header and payload then leave in one write).
std::size_t header_size_for(std::uint64_t payload_len, bool masked) noexcept;

// Writes the header with the minimal length encoding (RFC 6455 §5.2: 7 bits up to 125,
// 16 bits up to 65535, else 64 bits); returns its size, header_size_for(...).
std::size_t encode_header(const frame_header& h,
                          std::span<std::byte, max_header_size> out) noexcept;

// XORs `data` in place with `key`, starting at key byte `phase % 4`; returns the phase
// for the bytes that follow, so a payload can be masked in pieces. An all-zero key
// (kaminari's "skip" mode, kaminari-wire §5.7) is the identity and returns at once.
std::size_t apply_mask(std::span<std::byte> data, const mask_key& key, std::size_t phase) noexcept;

// Builds a whole control frame (close, ping or pong; payload <= 125 bytes) into `out`,
// masking a copy of the payload when `mask` is set. Returns the frame size, or 0 if the
// opcode is not a control opcode, the payload is too long or `out` is too small.
std::size_t encode_control(opcode op, std::span<const std::byte> payload,
                           std::optional<mask_key> mask, std::span<std::byte> out) noexcept;

// One event from frame_reader::next.
struct step {
  enum class kind : std::uint8_t { need_more, data, ping, pong, close, protocol_error };
  kind what = kind::need_more;
  std::size_t consumed = 0;                    // prefix of the input that was used
  std::span<std::byte> data;                   // kind::data: unmasked payload, in place
  std::span<const std::byte> control_payload;  // ping/pong/close: valid until next call
  const char* error = nullptr;                 // protocol_error: static message
};

// The receiving side of a WebSocket byte stream. Feed it what the socket delivered;
// it unmasks binary payload in place and hands it back slice by slice, so data flows
// through without a copy. Works the same in both roles: like the original
// (kaminari-wire §5.8), masking is accepted but not required in either direction.
class frame_reader {
 public:
  // Consumes a prefix of `input` and reports one event:
  //  - data: `data` is a slice of `input`, unmasked (maybe part of a frame);
  //  - ping/pong/close: a complete control frame, payload in `control_payload`;
  //  - need_more: all of `input` was consumed with nothing to report;
  //  - protocol_error: the stream is unusable; `error` says why.
  // After close or protocol_error, every later call repeats that event and consumes
  // nothing: a Close is end of stream for this direction.
  step next(std::span<std::byte> input) noexcept;

  // What the reader needs next, so that a zero-copy reader (ws/stream_splice.hpp) can
  // fetch just that: payload it may move untouched (`verbatim`: a data frame with no
  // key or the zero key), payload that must go through next() (`unmasked_by_next`: a
  // real key; `control`), a header, or nothing more (closed or failed).
  struct expectation {
    enum class kind : std::uint8_t { header, verbatim, unmasked_by_next, control, ended };
    kind what = kind::header;
    std::uint64_t payload_left = 0;  // the payload kinds: bytes left in this frame
  };
  expectation expecting() const noexcept;

  // Accounts for `n` verbatim payload bytes the caller moved past the reader itself;
  // n <= expecting().payload_left when expecting().what is verbatim.
  void skip_verbatim(std::uint64_t n) noexcept;

  bool closed() const noexcept { return state_ == state::closed; }
  bool failed() const noexcept { return state_ == state::failed; }

 private:
  enum class state : std::uint8_t { header, payload, closed, failed };

  step fail(const char* why) noexcept;
  const char* check_first_bytes() const noexcept;
  std::size_t read_header(std::span<const std::byte> input, bool& complete) noexcept;
  const char* start_frame() noexcept;
  step control_bytes(std::span<std::byte> input, std::size_t pos) noexcept;
  step finish_control(std::size_t consumed) noexcept;

  state state_ = state::header;
  opcode op_ = opcode::binary;
  bool in_message_ = false;      // a fragmented data message awaits its continuation
  bool masked_ = false;          // non-zero key: payload needs the XOR
  std::uint8_t header_len_ = 0;  // bytes of the current header collected so far
  std::uint8_t control_len_ = 0;
  std::size_t phase_ = 0;        // key index of the next payload byte (§5.11 defect 1)
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  const char* error_ = nullptr;
  mask_key key_{};
  std::array<std::byte, max_header_size> header_{};
  std::array<std::byte, max_control_payload> control_{};
};

}  // namespace kmr::ws

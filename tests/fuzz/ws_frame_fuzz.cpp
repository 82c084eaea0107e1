// SPDX-License-Identifier: MIT
// libFuzzer target: the frame reader. (1) Arbitrary bytes, fed whole and split at
// positions taken from the input, must give the same events: read boundaries never
// change what is decoded (kaminari-wire §5.11 is what happens otherwise). (2) The input
// as a recipe for valid frames, encoded and fed in random pieces, must give back exactly
// the payloads that went in. (3) Both, read the zero-copy way (ws/stream_splice.hpp):
// whenever the reader expects verbatim payload, the caller takes it past the reader with
// skip_verbatim; the events must not change.
#include "ws/frame.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace {

using kmr::ws::frame_reader;
using kmr::ws::mask_key;
using kmr::ws::opcode;
using kmr::ws::step;
using kind = step::kind;
using bytes = std::vector<std::byte>;

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

struct control_event {
  kind what;
  bytes payload;
  std::size_t data_offset;
  friend bool operator==(const control_event&, const control_event&) = default;
};

struct outcome {
  bytes data;
  std::vector<control_event> controls;
  std::string_view error;
  friend bool operator==(const outcome&, const outcome&) = default;
};

// Feeds `stream` in chunks ending at the sorted `cuts`, checking the step contract.
outcome feed(bytes stream, std::vector<std::size_t> cuts) {
  frame_reader r;
  outcome o;
  cuts.push_back(stream.size());
  std::size_t start = 0;
  for (const std::size_t end : cuts) {
    std::span<std::byte> chunk(stream.data() + start, end - start);
    start = end;
    for (;;) {
      const step s = r.next(chunk);
      check(s.consumed <= chunk.size());
      if (s.what == kind::need_more) {
        check(s.consumed == chunk.size());
        break;
      }
      if (s.what == kind::protocol_error) {
        check(s.error != nullptr && r.failed());
        o.error = s.error;
        check(r.next(chunk.subspan(s.consumed)).consumed == 0);
        return o;
      }
      if (s.what == kind::data) {
        check(!s.data.empty() && s.data.data() + s.data.size() == chunk.data() + s.consumed);
        o.data.insert(o.data.end(), s.data.begin(), s.data.end());
      } else {
        check(s.control_payload.size() <= kmr::ws::max_control_payload);
        o.controls.push_back(
            {s.what, bytes(s.control_payload.begin(), s.control_payload.end()), o.data.size()});
      }
      if (s.what == kind::close) {
        const step again = r.next(chunk.subspan(s.consumed));
        check(again.what == kind::close && again.consumed == 0);
        return o;
      }
      check(s.consumed > 0);
      chunk = chunk.subspan(s.consumed);
    }
  }
  return o;
}

// Like feed(), but verbatim payload bypasses next(): taken straight from the stream in
// random amounts, as splice(2) takes it from the socket.
outcome feed_skipping(bytes stream, std::minstd_rand& rng) {
  frame_reader r;
  outcome o;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const auto e = r.expecting();
    const std::size_t left = stream.size() - pos;
    if (e.what == frame_reader::expectation::kind::verbatim) {
      check(e.payload_left > 0);
      const auto n = std::min<std::size_t>({static_cast<std::size_t>(std::min<std::uint64_t>(e.payload_left, left)),
                                            1 + rng() % 4096});
      o.data.insert(o.data.end(), stream.begin() + static_cast<std::ptrdiff_t>(pos),
                    stream.begin() + static_cast<std::ptrdiff_t>(pos + n));
      r.skip_verbatim(n);
      pos += n;
      continue;
    }
    std::span<std::byte> chunk(stream.data() + pos, std::min<std::size_t>(left, 1 + rng() % 32));
    const step s = r.next(chunk);
    pos += s.consumed;
    if (s.what == kind::protocol_error) {
      o.error = s.error;
      return o;
    }
    if (s.what == kind::data) o.data.insert(o.data.end(), s.data.begin(), s.data.end());
    if (s.what == kind::ping || s.what == kind::pong || s.what == kind::close)
      o.controls.push_back({s.what, bytes(s.control_payload.begin(), s.control_payload.end()), o.data.size()});
    if (s.what == kind::close) return o;
  }
  return o;
}

std::vector<std::size_t> random_cuts(std::minstd_rand& rng, std::size_t size, std::size_t count) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < count; ++i) cuts.push_back(rng() % (size + 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

void split_invariance(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return;
  const bytes stream(reinterpret_cast<const std::byte*>(data) + 4,
                     reinterpret_cast<const std::byte*>(data) + size);
  const outcome whole = feed(stream, {});
  std::vector<std::size_t> cuts = {(data[0] << 8 | data[1]) % (stream.size() + 1),
                                   (data[2] << 8 | data[3]) % (stream.size() + 1)};
  std::sort(cuts.begin(), cuts.end());
  check(feed(stream, cuts) == whole);
  std::minstd_rand rng(cuts[0] * 7919u + cuts[1]);
  check(feed_skipping(stream, rng) == whole);
  if (stream.size() <= 512) {
    std::vector<std::size_t> every(stream.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    check(feed(stream, every) == whole);
  }
}

// One frame per recipe byte b: b&7 picks data (0-3, 7), ping (4), pong (5) or close (6);
// (b>>3)&3 the mask (none, zero key, random key); bit 5 FIN; bits 6-7 the length form
// (7-bit, 16-bit, 64-bit). The stream stays under 70000 bytes, so runs stay fast.
struct recipe {
  bytes stream;
  outcome expected;
};

recipe build(const std::uint8_t* data, std::size_t size, std::minstd_rand& rng) {
  recipe out;
  bool in_message = false, closed = false;
  std::size_t pos = 0;
  while (pos + 2 <= size && !closed && out.stream.size() < 70000) {
    const std::uint8_t b = data[pos++], len_byte = data[pos++];
    const int what = b & 7;
    const bool control = what >= 4 && what <= 6;
    std::size_t len = control              ? len_byte % 126
                      : (b & 0xc0) == 0xc0 ? len_byte + 65536u     // 64-bit length
                      : (b & 0x40)         ? len_byte * 2u + 126u  // 16-bit length
                                           : len_byte;
    const bool fin = control || (b & 0x20) != 0;
    const opcode op = what == 4    ? opcode::ping
                      : what == 5  ? opcode::pong
                      : what == 6  ? opcode::close
                      : in_message ? opcode::continuation
                                   : opcode::binary;
    std::optional<mask_key> key;
    if (((b >> 3) & 3) == 1) key = mask_key{};
    if (((b >> 3) & 3) >= 2) {
      key = mask_key{};
      for (auto& k : *key) k = static_cast<std::byte>(rng());
    }
    bytes payload(len);
    const auto seed = static_cast<std::uint8_t>(rng());
    for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<std::byte>(i * 167 + seed);
    std::array<std::byte, kmr::ws::max_header_size> head{};
    const std::size_t n = kmr::ws::encode_header({fin, op, key, len}, head);
    out.stream.insert(out.stream.end(), head.begin(), head.begin() + n);
    bytes wire = payload;
    if (key) kmr::ws::apply_mask(wire, *key, 0);
    out.stream.insert(out.stream.end(), wire.begin(), wire.end());
    if (control) {
      const kind k = what == 4 ? kind::ping : what == 5 ? kind::pong : kind::close;
      out.expected.controls.push_back({k, payload, out.expected.data.size()});
      closed = what == 6;
    } else {
      out.expected.data.insert(out.expected.data.end(), payload.begin(), payload.end());
      in_message = !fin;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  split_invariance(data, size);
  std::minstd_rand rng(static_cast<std::uint32_t>(size * 2654435761u));
  const recipe r = build(data, size, rng);
  check(feed(r.stream, {}) == r.expected);
  for (int round = 0; round < 4; ++round)
    check(feed(r.stream, random_cuts(rng, r.stream.size(), 1 + rng() % 16)) == r.expected);
  check(feed_skipping(r.stream, rng) == r.expected);
  return 0;
}

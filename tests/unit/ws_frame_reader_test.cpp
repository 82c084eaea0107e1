// SPDX-License-Identifier: MIT
#include "ws/frame.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using kmr::ws::apply_mask;
using kmr::ws::encode_header;
using kmr::ws::frame_header;
using kmr::ws::frame_reader;
using kmr::ws::mask_key;
using kmr::ws::max_header_size;
using kmr::ws::opcode;
using kmr::ws::step;
using kind = kmr::ws::step::kind;

namespace {

using bytes = std::vector<std::byte>;

bytes hex(std::initializer_list<int> values) {
  bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

bytes text(std::string_view s) {
  bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

bytes pattern(std::size_t n, unsigned seed) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(i * 31 + seed);
  return out;
}

void append(bytes& to, const bytes& from) { to.insert(to.end(), from.begin(), from.end()); }

std::mt19937 rng(20240601);  // fixed seed: failures reproduce

mask_key random_key() {
  mask_key k;
  for (auto& b : k) b = static_cast<std::byte>(rng() | 1);  // never all zero
  return k;
}

constexpr mask_key zero_key{};

bytes frame(bool fin, opcode op, std::optional<mask_key> mask, const bytes& payload) {
  std::array<std::byte, max_header_size> head{};
  const std::size_t n = encode_header({fin, op, mask, payload.size()}, head);
  bytes out(head.begin(), head.begin() + n);
  bytes body = payload;
  if (mask) apply_mask(body, *mask, 0);
  append(out, body);
  return out;
}

struct control_event {
  kind what;
  bytes payload;
  std::size_t data_offset;  // how much data had been delivered before it
  friend bool operator==(const control_event&, const control_event&) = default;
};

struct outcome {
  bytes data;
  std::vector<control_event> controls;  // ping, pong and close, in order
  std::string error;
};

// Feeds `stream` to a fresh reader in chunks ending at `cuts` (sorted), as reads from a
// socket would arrive, and checks the step contract on the way.
outcome feed(bytes stream, std::vector<std::size_t> cuts) {
  frame_reader r;
  outcome o;
  cuts.push_back(stream.size());
  std::size_t start = 0;
  for (std::size_t end : cuts) {
    std::span<std::byte> chunk(stream.data() + start, end - start);
    start = end;
    for (;;) {
      const step s = r.next(chunk);
      EXPECT_LE(s.consumed, chunk.size());
      if (s.what == kind::need_more) {
        EXPECT_EQ(s.consumed, chunk.size());
        break;
      }
      if (s.what == kind::protocol_error || s.what == kind::close) {
        if (s.what == kind::close)
          o.controls.push_back(
              {s.what, bytes(s.control_payload.begin(), s.control_payload.end()), o.data.size()});
        if (s.what == kind::protocol_error) o.error = s.error;
        const step again = r.next(chunk.subspan(s.consumed));  // sticky, consumes nothing
        EXPECT_EQ(again.what, s.what);
        EXPECT_EQ(again.consumed, 0u);
        return o;
      }
      EXPECT_GT(s.consumed, 0u);
      if (s.consumed == 0) return o;
      if (s.what == kind::data) {
        EXPECT_FALSE(s.data.empty());
        EXPECT_EQ(s.data.data() + s.data.size(), chunk.data() + s.consumed);  // in place
        o.data.insert(o.data.end(), s.data.begin(), s.data.end());
      } else {
        o.controls.push_back(
            {s.what, bytes(s.control_payload.begin(), s.control_payload.end()), o.data.size()});
      }
      chunk = chunk.subspan(s.consumed);
    }
  }
  return o;
}

// Checks one stream fed whole, cut at every offset, byte by byte and in random pieces.
void expect_every_split(const bytes& stream, const outcome& expected) {
  auto check = [&](const std::vector<std::size_t>& cuts, const std::string& how) {
    const outcome got = feed(stream, cuts);
    ASSERT_EQ(got.data, expected.data) << how;
    ASSERT_EQ(got.controls, expected.controls) << how;
    ASSERT_EQ(got.error, expected.error) << how;
  };
  check({}, "whole");
  for (std::size_t i = 0; i <= stream.size(); ++i) check({i}, "cut at " + std::to_string(i));
  std::vector<std::size_t> every(stream.size());
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  check(every, "byte by byte");
  std::mt19937 split_rng(99);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (int k = 0, n = static_cast<int>(split_rng() % 12); k < n; ++k)
      cuts.push_back(split_rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    check(cuts, "random round " + std::to_string(round));
  }
}

}  // namespace

TEST(WsFrameReader, DeliversEveryFrameKindAtEverySplit) {
  bytes stream, data;
  std::vector<control_event> controls;
  auto add_data = [&](bool fin, opcode op, std::optional<mask_key> k, const bytes& p) {
    append(stream, frame(fin, op, k, p));
    append(data, p);
  };
  auto add_control = [&](opcode op, std::optional<mask_key> k, const bytes& p) {
    append(stream, frame(true, op, k, p));
    controls.push_back({op == opcode::ping ? kind::ping : kind::pong, p, data.size()});
  };
  add_data(true, opcode::binary, random_key(), pattern(37, 1));  // odd length, random key
  add_control(opcode::ping, random_key(), text("ping!"));
  add_data(true, opcode::binary, std::nullopt, pattern(126, 2));  // unmasked, 16-bit length
  add_control(opcode::pong, std::nullopt, {});
  add_data(true, opcode::binary, zero_key, pattern(3, 3));       // skip mode
  add_data(false, opcode::binary, random_key(), pattern(9, 4));  // fragmented message...
  add_control(opcode::ping, random_key(), pattern(125, 5));      // ...with a ping inside
  add_data(false, opcode::continuation, std::nullopt, {});
  add_data(true, opcode::continuation, random_key(), pattern(301, 6));
  add_data(true, opcode::binary, random_key(), {});  // zero length
  // A 64-bit length that is not minimal: accepted, as the original does.
  const mask_key k = random_key();
  append(stream, hex({0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 11}));
  append(stream, bytes(k.begin(), k.end()));
  bytes p = pattern(11, 7), masked = p;
  apply_mask(masked, k, 0);
  append(stream, masked);
  append(data, p);
  expect_every_split(stream, {data, controls, ""});
}

TEST(WsFrameReader, KeepsMaskPhaseAcrossReads_Defect5_11) {
  // kaminari-wire §5.11 defect 1: an 8192-byte frame split after 1441 payload bytes.
  const mask_key k = random_key();
  const bytes payload = pattern(8192, 9);
  const bytes f = frame(true, opcode::binary, k, payload);
  ASSERT_EQ(f.size(), 8u + 8192u);
  for (std::size_t at : {1440u, 1441u, 1442u, 1443u}) {
    const outcome o = feed(f, {8 + at});
    EXPECT_EQ(o.data, payload) << at;
  }
}

TEST(WsFrameReader, Handles64BitLengths) {
  const bytes payload = pattern(70000, 10);
  const bytes f = frame(true, opcode::binary, random_key(), payload);
  ASSERT_EQ(f[1], std::byte{0xff});
  for (std::vector<std::size_t> cuts : std::vector<std::vector<std::size_t>>{
           {}, {1}, {2}, {9}, {13}, {14}, {15}, {14 + 1441}, {65535, 65536, 65537}}) {
    EXPECT_EQ(feed(f, cuts).data, payload);
  }
  std::vector<std::size_t> every(f.size());
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  EXPECT_EQ(feed(f, every).data, payload);
}

TEST(WsFrameReader, ReadsRfc6455LengthExamplesAsBinary) {  // RFC 6455 §5.7
  bytes f256 = hex({0x82, 0x7e, 0x01, 0x00});
  append(f256, pattern(256, 11));
  EXPECT_EQ(feed(f256, {}).data, pattern(256, 11));
  bytes f64k = hex({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00});
  append(f64k, pattern(65536, 12));
  EXPECT_EQ(feed(f64k, {5, 300}).data, pattern(65536, 12));
}

TEST(WsFrameReader, UnmasksRfcHelloSentAsBinary) {
  const bytes f = hex({0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  expect_every_split(f, {text("Hello"), {}, ""});
}

TEST(WsFrameReader, ReadsRfcFragmentsAndPingAsBinary) {
  bytes s = hex({0x02, 0x03, 0x48, 0x65, 0x6c});               // "Hel", FIN=0
  append(s, hex({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));  // ping "Hello"
  append(s, hex({0x80, 0x02, 0x6c, 0x6f}));                    // "lo", FIN=1
  append(s, hex({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));  // pong
  expect_every_split(
      s, {text("Hello"), {{kind::ping, text("Hello"), 3}, {kind::pong, text("Hello"), 5}}, ""});
}

TEST(WsFrameReader, ReadsKaminariVectors) {  // kaminari-wire §14.3
  expect_every_split(hex({0x82, 0x85, 0x00, 0x00, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f}),
                     {text("hello"), {}, ""});
  expect_every_split(hex({0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x5f, 0x9f, 0x4d, 0x51, 0x58}),
                     {text("hello"), {}, ""});
  expect_every_split(hex({0x82, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f}), {text("hello"), {}, ""});
}

TEST(WsFrameReader, SkipKeyDataIsPassedThroughUntouched) {
  const bytes payload = pattern(5000, 13);
  const bytes f = frame(true, opcode::binary, zero_key, payload);
  EXPECT_EQ(feed(f, {8, 9, 1449}).data, payload);
}

TEST(WsFrameReader, ZeroLengthFramesProduceNoEvent) {
  bytes s = frame(true, opcode::binary, std::nullopt, {});
  append(s, frame(true, opcode::binary, random_key(), {}));
  frame_reader r;
  const step st = r.next(s);
  EXPECT_EQ(st.what, kind::need_more);
  EXPECT_EQ(st.consumed, s.size());
}

TEST(WsFrameReader, CloseIsEndOfStreamForever) {
  bytes s = frame(true, opcode::binary, random_key(), text("abc"));
  append(s, frame(true, opcode::close, random_key(), hex({0x03, 0xe8, 'b', 'y', 'e'})));
  append(s, frame(true, opcode::binary, std::nullopt, text("after close")));
  expect_every_split(s, {text("abc"), {{kind::close, hex({0x03, 0xe8, 'b', 'y', 'e'}), 3}}, ""});
  frame_reader r;
  std::size_t used = 0;
  for (int i = 0; i < 3; ++i) used += r.next(std::span(s).subspan(used)).consumed;
  EXPECT_TRUE(r.closed());
  for (int i = 0; i < 3; ++i) {
    const step st = r.next(std::span(s).subspan(used));
    EXPECT_EQ(st.what, kind::close);
    EXPECT_EQ(st.consumed, 0u);
  }
}

TEST(WsFrameReader, EmptyCloseIsReported) {
  expect_every_split(hex({0x88, 0x00}), {{}, {{kind::close, {}, 0}}, ""});
}

TEST(WsFrameReader, EmptyInputNeedsMore) {
  frame_reader r;
  const step st = r.next({});
  EXPECT_EQ(st.what, kind::need_more);
  EXPECT_EQ(st.consumed, 0u);
}

struct bad_frame {
  bytes wire;
  std::string_view error;
};

TEST(WsFrameReader, RejectsEachProtocolErrorAtEverySplit) {
  std::vector<bad_frame> cases = {
      {hex({0xc2, 0x00}), "reserved bits set without an extension"},
      {hex({0xa2, 0x00}), "reserved bits set without an extension"},
      {hex({0x92, 0x80, 0, 0, 0, 0}), "reserved bits set without an extension"},
      {hex({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
       "text frame on a binary stream"},
      {hex({0x09, 0x00}), "fragmented control frame"},
      {hex({0x08, 0x00}), "fragmented control frame"},
      {hex({0x89, 0x7e, 0x00, 0x7e}), "control frame payload over 125 bytes"},
      {hex({0x8a, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}),
       "control frame payload over 125 bytes"},
      {hex({0x80, 0x01, 0x61}), "continuation frame without a message in progress"},
      {hex({0x00, 0x00}), "continuation frame without a message in progress"},
      {hex({0x02, 0x00, 0x82, 0x00}), "new data frame inside a fragmented message"},
      {hex({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}), "64-bit payload length with the top bit set"},
      {hex({0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}),
       "64-bit payload length with the top bit set"},
  };
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
    cases.push_back({hex({0x80 | op, 0x00}), "unknown opcode"});
  for (const bad_frame& c : cases) {
    SCOPED_TRACE(c.error);
    bytes s = frame(true, opcode::binary, random_key(), text("ok"));
    append(s, c.wire);
    append(s, frame(true, opcode::binary, std::nullopt, text("never")));
    expect_every_split(s, {text("ok"), {}, std::string(c.error)});
  }
}

TEST(WsFrameReader, ErrorIsSticky) {
  frame_reader r;
  bytes bad = hex({0x81, 0x00});
  EXPECT_EQ(r.next(bad).what, kind::protocol_error);
  EXPECT_TRUE(r.failed());
  bytes good = frame(true, opcode::binary, std::nullopt, text("x"));
  const step st = r.next(good);
  EXPECT_EQ(st.what, kind::protocol_error);
  EXPECT_EQ(st.consumed, 0u);
  EXPECT_STREQ(st.error, "text frame on a binary stream");
}

TEST(WsFrameReader, RandomFramesSurviveRandomSplits) {
  for (int round = 0; round < 50; ++round) {
    bytes stream, data;
    bool in_message = false;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) {
      const bool fin = i == n - 1 || rng() % 2;
      const opcode op = in_message ? opcode::continuation : opcode::binary;
      std::optional<mask_key> k;
      if (rng() % 3 == 0)
        k = random_key();
      else if (rng() % 2)
        k = zero_key;
      const bytes p =
          pattern(rng() % 3 == 0 ? rng() % 70000 : rng() % 300, static_cast<unsigned>(rng()));
      append(stream, frame(fin, op, k, p));
      append(data, p);
      in_message = !fin;
    }
    std::vector<std::size_t> cuts;
    for (int k = 0, n = static_cast<int>(rng() % 20); k < n; ++k)
      cuts.push_back(rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    const outcome o = feed(stream, cuts);
    ASSERT_EQ(o.data, data) << "round " << round;
    ASSERT_EQ(o.error, "");
  }
}

// --- expecting / skip_verbatim: what the zero-copy reader (ws/stream_splice.hpp) asks ---

using expect = frame_reader::expectation::kind;

// Feeds `input` until it is used up or the reader stops taking bytes (closed, failed).
void feed(frame_reader& r, bytes input) {
  std::span<std::byte> in(input);
  for (int steps = 0; !in.empty() && steps < 100; ++steps) {
    const std::size_t used = r.next(in).consumed;
    if (used == 0) break;
    in = in.subspan(used);
  }
}

TEST(WsFrameReaderExpecting, HeaderFirst_ThenVerbatimForZeroKeyAndUnmasked) {
  for (const std::optional<mask_key> key : {std::optional<mask_key>{}, std::optional(zero_key)}) {
    frame_reader r;
    EXPECT_EQ(r.expecting().what, expect::header);
    bytes f = frame(true, opcode::binary, key, pattern(1000, 1));
    f.resize(f.size() - 1000);  // the header only
    feed(r, f);
    EXPECT_EQ(r.expecting().what, expect::verbatim);
    EXPECT_EQ(r.expecting().payload_left, 1000u);
    r.skip_verbatim(999);
    EXPECT_EQ(r.expecting().payload_left, 1u);
    r.skip_verbatim(1);
    EXPECT_EQ(r.expecting().what, expect::header);  // the next frame
  }
}

TEST(WsFrameReaderExpecting, RealKeyAndControlFrames_AreNotVerbatim) {
  frame_reader r;
  bytes f = frame(true, opcode::binary, random_key(), pattern(300, 2));
  f.resize(f.size() - 300);
  feed(r, f);
  EXPECT_EQ(r.expecting().what, expect::unmasked_by_next);
  EXPECT_EQ(r.expecting().payload_left, 300u);

  frame_reader c;
  bytes p = frame(true, opcode::ping, zero_key, pattern(10, 3));
  p.resize(p.size() - 4);
  feed(c, p);
  EXPECT_EQ(c.expecting().what, expect::control);
  EXPECT_EQ(c.expecting().payload_left, 4u);
}

TEST(WsFrameReaderExpecting, SkippedPayloadKeepsTheStreamInStep) {
  // Two frames: the first payload skipped by the caller, the second decoded by next().
  frame_reader r;
  bytes first = frame(true, opcode::binary, zero_key, pattern(500, 4));
  first.resize(first.size() - 500);
  feed(r, first);
  r.skip_verbatim(500);
  bytes second = frame(true, opcode::binary, random_key(), pattern(64, 5));
  const step d = r.next(second);  // header and payload in one go
  ASSERT_EQ(d.what, kind::data);
  EXPECT_EQ(d.consumed, second.size());
  EXPECT_EQ(bytes(d.data.begin(), d.data.end()), pattern(64, 5));
}

TEST(WsFrameReaderExpecting, ClosedAndFailedAreEnded) {
  frame_reader closed;
  feed(closed, frame(true, opcode::close, zero_key, {}));
  EXPECT_EQ(closed.expecting().what, expect::ended);
  frame_reader failed;
  feed(failed, frame(true, opcode::text, zero_key, text("x")));
  EXPECT_EQ(failed.expecting().what, expect::ended);
}

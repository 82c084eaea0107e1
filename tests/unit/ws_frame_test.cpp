// SPDX-License-Identifier: MIT
#include "ws/frame.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string_view>
#include <vector>

using kmr::ws::apply_mask;
using kmr::ws::encode_control;
using kmr::ws::encode_header;
using kmr::ws::frame_header;
using kmr::ws::header_size_for;
using kmr::ws::mask_key;
using kmr::ws::max_header_size;
using kmr::ws::opcode;

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

constexpr mask_key rfc_key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};
constexpr mask_key zero_key{};

// A whole frame: header from encode_header, payload masked with apply_mask.
bytes frame(frame_header h, const bytes& payload) {
  std::array<std::byte, max_header_size> head{};
  h.payload_len = payload.size();
  const std::size_t n = encode_header(h, head);
  bytes out(head.begin(), head.begin() + n);
  bytes body = payload;
  if (h.mask) apply_mask(body, *h.mask, 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The obvious byte-by-byte definition (RFC 6455 §5.3), to check the fast path against.
void reference_mask(bytes& data, const mask_key& key, std::size_t phase) {
  for (std::size_t i = 0; i < data.size(); ++i) data[i] ^= key[(phase + i) % 4];
}

}  // namespace

TEST(WsFrameEncode, MatchesRfc6455UnmaskedText) {  // RFC 6455 §5.7
  EXPECT_EQ(frame({true, opcode::text, {}, 0}, text("Hello")),
            hex({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WsFrameEncode, MatchesRfc6455MaskedText) {
  EXPECT_EQ(frame({true, opcode::text, rfc_key, 0}, text("Hello")),
            hex({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsFrameEncode, MatchesRfc6455FragmentsAndPing) {
  EXPECT_EQ(frame({false, opcode::text, {}, 0}, text("Hel")), hex({0x01, 0x03, 0x48, 0x65, 0x6c}));
  EXPECT_EQ(frame({true, opcode::continuation, {}, 0}, text("lo")), hex({0x80, 0x02, 0x6c, 0x6f}));
  EXPECT_EQ(frame({true, opcode::ping, {}, 0}, text("Hello")),
            hex({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_EQ(frame({true, opcode::pong, rfc_key, 0}, text("Hello")),
            hex({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsFrameEncode, Uses16BitLengthFor256Bytes) {  // RFC 6455 §5.7
  const bytes f = frame({true, opcode::binary, {}, 0}, bytes(256, std::byte{0x5a}));
  ASSERT_EQ(f.size(), 4u + 256u);
  EXPECT_EQ(bytes(f.begin(), f.begin() + 4), hex({0x82, 0x7e, 0x01, 0x00}));
}

TEST(WsFrameEncode, Uses64BitLengthFor64KiB) {
  const bytes f = frame({true, opcode::binary, {}, 0}, bytes(65536, std::byte{0x5a}));
  ASSERT_EQ(f.size(), 10u + 65536u);
  EXPECT_EQ(bytes(f.begin(), f.begin() + 10),
            hex({0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
}

TEST(WsFrameEncode, MatchesKaminariVectors) {  // kaminari-wire §14.3
  EXPECT_EQ(frame({true, opcode::binary, zero_key, 0}, text("hello")),
            hex({0x82, 0x85, 0x00, 0x00, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_EQ(frame({true, opcode::binary, rfc_key, 0}, text("hello")),
            hex({0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x5f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_EQ(frame({true, opcode::binary, {}, 0}, text("hello")),
            hex({0x82, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f}));
  const bytes f200 = frame({true, opcode::binary, {}, 0}, bytes(200));
  EXPECT_EQ(bytes(f200.begin(), f200.begin() + 4), hex({0x82, 0x7e, 0x00, 0xc8}));
  const bytes f8k = frame({true, opcode::binary, zero_key, 0}, bytes(8192));
  EXPECT_EQ(bytes(f8k.begin(), f8k.begin() + 8), hex({0x82, 0xfe, 0x20, 0x00, 0, 0, 0, 0}));
}

TEST(WsFrameEncode, HeaderSizeMatchesEncodingAtEveryBoundary) {
  for (std::uint64_t len :
       {0ull, 1ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40, (1ull << 63) - 1}) {
    for (bool masked : {false, true}) {
      std::array<std::byte, max_header_size> head{};
      frame_header h{true, opcode::binary, {}, len};
      if (masked) h.mask = rfc_key;
      EXPECT_EQ(encode_header(h, head), header_size_for(len, masked)) << len;
    }
  }
  EXPECT_EQ(header_size_for(125, false), 2u);
  EXPECT_EQ(header_size_for(126, false), 4u);
  EXPECT_EQ(header_size_for(65535, true), 8u);
  EXPECT_EQ(header_size_for(65536, true), 14u);
}

TEST(WsFrameEncode, WritesFinAndOpcodeBits) {
  std::array<std::byte, max_header_size> head{};
  encode_header({false, opcode::continuation, {}, 0}, head);
  EXPECT_EQ(head[0], std::byte{0x00});
  encode_header({true, opcode::close, {}, 0}, head);
  EXPECT_EQ(head[0], std::byte{0x88});
}

TEST(WsMask, MatchesReferenceForEverySizeAndPhase) {
  std::mt19937 rng(1234);
  for (std::size_t size = 0; size <= 100; ++size) {
    for (std::size_t phase = 0; phase < 8; ++phase) {
      bytes data(size);
      for (auto& b : data) b = static_cast<std::byte>(rng());
      bytes expected = data;
      reference_mask(expected, rfc_key, phase);
      EXPECT_EQ(apply_mask(data, rfc_key, phase), (phase + size) % 4);
      EXPECT_EQ(data, expected) << "size " << size << " phase " << phase;
    }
  }
}

TEST(WsMask, PiecesSplitAnywhereEqualTheWhole) {
  bytes whole(97);
  for (std::size_t i = 0; i < whole.size(); ++i) whole[i] = static_cast<std::byte>(i * 7);
  bytes expected = whole;
  reference_mask(expected, rfc_key, 0);
  for (std::size_t a = 0; a <= whole.size(); ++a) {
    for (std::size_t b = a; b <= whole.size(); b += 13) {
      bytes data = whole;
      std::span<std::byte> s(data);
      std::size_t phase = apply_mask(s.first(a), rfc_key, 0);
      phase = apply_mask(s.subspan(a, b - a), rfc_key, phase);
      apply_mask(s.subspan(b), rfc_key, phase);
      ASSERT_EQ(data, expected) << a << " " << b;
    }
  }
}

TEST(WsMask, ZeroKeyLeavesDataAndAdvancesPhase) {
  bytes data = text("unchanged");
  EXPECT_EQ(apply_mask(data, zero_key, 3), (3 + 9) % 4u);
  EXPECT_EQ(data, text("unchanged"));
}

TEST(WsMask, IsItsOwnInverse) {
  bytes data(1000, std::byte{0xa5});
  apply_mask(data, rfc_key, 1);
  EXPECT_NE(data, bytes(1000, std::byte{0xa5}));
  apply_mask(data, rfc_key, 1);
  EXPECT_EQ(data, bytes(1000, std::byte{0xa5}));
}

TEST(WsControl, BuildsPongFromPingPayload) {
  std::array<std::byte, kmr::ws::max_control_frame_size> out{};
  const bytes payload = text("Hello");
  const std::size_t n = encode_control(opcode::pong, payload, rfc_key, out);
  EXPECT_EQ(bytes(out.begin(), out.begin() + n),
            hex({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_EQ(payload, text("Hello"));  // the caller's payload is not masked in place
  const std::size_t m = encode_control(opcode::close, {}, {}, out);
  EXPECT_EQ(bytes(out.begin(), out.begin() + m), hex({0x88, 0x00}));
}

TEST(WsControl, TakesTheLargestControlPayload) {
  std::array<std::byte, kmr::ws::max_control_frame_size> out{};
  EXPECT_EQ(encode_control(opcode::ping, bytes(125), rfc_key, out), out.size());
}

TEST(WsControl, RefusesBadArguments) {
  std::array<std::byte, 200> out{};
  EXPECT_EQ(encode_control(opcode::pong, bytes(126), {}, out), 0u);
  EXPECT_EQ(encode_control(opcode::binary, bytes(1), {}, out), 0u);
  EXPECT_EQ(encode_control(opcode::text, bytes(1), {}, out), 0u);
  EXPECT_EQ(encode_control(static_cast<opcode>(0xb), bytes(1), {}, out), 0u);
  EXPECT_EQ(encode_control(opcode::pong, bytes(10), {}, std::span(out).first(11)), 0u);
  EXPECT_EQ(encode_control(opcode::pong, bytes(10), {}, std::span(out).first(12)), 12u);
}

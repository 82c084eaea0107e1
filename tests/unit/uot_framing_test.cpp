// SPDX-License-Identifier: MIT
#include "uot/framing.hpp"  // first: the header must be self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using kmr::uot::record_reader;
using bytes = std::vector<std::byte>;

namespace {

bytes text(std::string_view s) {
  bytes out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

bytes pattern(std::size_t size, unsigned seed) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>((i * 131 + seed * 17) & 0xff);
  return out;
}

// The wire form of `datagrams`, built with frame_in_place in a buffer with headroom.
bytes encode(const std::vector<bytes>& datagrams) {
  bytes wire;
  for (const auto& d : datagrams) {
    bytes room(kmr::uot::header_size + d.size());
    std::copy(d.begin(), d.end(), room.begin() + kmr::uot::header_size);
    const auto record = kmr::uot::frame_in_place(std::span(room).subspan(kmr::uot::header_size));
    EXPECT_EQ(record.data(), room.data());
    wire.insert(wire.end(), record.begin(), record.end());
  }
  return wire;
}

struct decoded {
  std::vector<bytes> datagrams;
  record_reader::error error = record_reader::error::none;
};

// Feeds `wire` in pieces of the given sizes (the rest in one piece), as reads would
// deliver it, then ends the stream.
decoded feed(const bytes& wire, const std::vector<std::size_t>& pieces,
             std::size_t max = kmr::uot::max_datagram_size) {
  record_reader reader(max);
  decoded out;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < wire.size(); ++i) {
    std::size_t piece = i < pieces.size() ? pieces[i] : wire.size() - pos;
    piece = std::min(piece, wire.size() - pos);
    while (piece > 0) {  // a read may be shorter than the piece: the buffer limits it
      const auto room = reader.prepare();
      if (room.empty()) return {out.datagrams, reader.failure()};
      const std::size_t n = std::min(piece, room.size());
      std::memcpy(room.data(), wire.data() + pos, n);
      reader.commit(n);
      pos += n;
      piece -= n;
      while (const auto d = reader.next()) out.datagrams.emplace_back(d->begin(), d->end());
      if (reader.failure() != record_reader::error::none) return {out.datagrams, reader.failure()};
    }
  }
  out.error = reader.finish();
  return out;
}

std::vector<std::size_t> all_ones(std::size_t n) { return std::vector<std::size_t>(n, 1); }

}  // namespace

TEST(UotFraming, EncodesAbcAsTheSpecSays_Wire8_1) {
  bytes room = text("..abc");
  const auto record = kmr::uot::frame_in_place(std::span(room).subspan(2));
  EXPECT_EQ(bytes(record.begin(), record.end()), (bytes{std::byte{0x00}, std::byte{0x03}, std::byte{'a'},
                                                        std::byte{'b'}, std::byte{'c'}}));
}

TEST(UotFraming, EncodesLengthBigEndian) {
  std::array<std::byte, 2> header{};
  kmr::uot::encode_header(65507, header);
  EXPECT_EQ(header[0], std::byte{0xff});
  EXPECT_EQ(header[1], std::byte{0xe3});
  kmr::uot::encode_header(0x0102, header);
  EXPECT_EQ(header[0], std::byte{0x01});
  EXPECT_EQ(header[1], std::byte{0x02});
}

TEST(UotFraming, DecodesWholeStream) {
  const std::vector<bytes> in = {text("abc"), text(""), text("hello, world"), pattern(1400, 1)};
  const auto out = feed(encode(in), {});
  EXPECT_EQ(out.error, record_reader::error::none);
  EXPECT_EQ(out.datagrams, in);
}

TEST(UotFraming, DecodesFedByteByByte) {
  const std::vector<bytes> in = {text("x"),  text(""), pattern(300, 2), text(""),
                                 text(""), pattern(kmr::uot::max_datagram_size, 3), text("z")};
  const bytes wire = encode(in);
  const auto out = feed(wire, all_ones(wire.size()));
  EXPECT_EQ(out.error, record_reader::error::none);
  EXPECT_EQ(out.datagrams, in);
}

TEST(UotFraming, DecodesRandomSplits_FixedSeed) {
  std::mt19937 rng(20240605);
  std::vector<bytes> in;
  for (unsigned i = 0; i < 300; ++i) {
    const auto pick = rng() % 10;
    const std::size_t size = pick == 0 ? 0 : pick == 1 ? kmr::uot::max_datagram_size : rng() % 2000;
    in.push_back(pattern(size, i));
  }
  const bytes wire = encode(in);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> pieces;
    const std::size_t largest = round % 2 == 0 ? 7 : 40000;  // tiny reads and big ones
    for (std::size_t total = 0; total < wire.size();) {
      pieces.push_back(1 + rng() % largest);
      total += pieces.back();
    }
    const auto out = feed(wire, pieces);
    ASSERT_EQ(out.error, record_reader::error::none) << "round " << round;
    ASSERT_EQ(out.datagrams, in) << "round " << round;
  }
}

TEST(UotFraming, ZeroLengthRecordsAreDatagrams) {
  // udpflow 0.1.0 read a zero-length record as end of stream (kaminari-wire §8.1).
  const bytes wire = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  const auto out = feed(wire, {1, 1, 1, 1, 1, 1});
  EXPECT_EQ(out.error, record_reader::error::none);
  EXPECT_EQ(out.datagrams, (std::vector<bytes>{{}, {}, {}}));
}

TEST(UotFraming, DecodesLargestDatagram_InOneReadAndInMany) {
  const std::vector<bytes> in = {pattern(kmr::uot::max_datagram_size, 9), text("after")};
  const bytes wire = encode(in);
  EXPECT_EQ(feed(wire, {}).datagrams, in);
  EXPECT_EQ(feed(wire, {1, 1, 100, 16384, 16384, 3}).datagrams, in);
}

TEST(UotFraming, RejectsRecordLongerThanADatagram_AsSoonAsItsHeaderArrives) {
  // 65508: a length the u16 can say, but no UDP datagram can carry.
  const bytes wire = {std::byte{0xff}, std::byte{0xe4}};
  const auto out = feed(wire, {1, 1});
  EXPECT_EQ(out.error, record_reader::error::oversized);
  EXPECT_TRUE(out.datagrams.empty());
}

TEST(UotFraming, RejectsRecordLongerThanTheConfiguredMaximum) {
  const bytes wire = encode({text("0123456789"), text("0123456789A"), text("never")});
  const auto out = feed(wire, {}, 10);
  EXPECT_EQ(out.error, record_reader::error::oversized);
  EXPECT_EQ(out.datagrams, (std::vector<bytes>{text("0123456789")}));  // what came before is kept
}

TEST(UotFraming, ErrorIsFinal) {
  record_reader reader(4);
  auto room = reader.prepare();
  ASSERT_GE(room.size(), 2u);
  room[0] = std::byte{0};
  room[1] = std::byte{5};
  reader.commit(2);
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.failure(), record_reader::error::oversized);
  EXPECT_TRUE(reader.prepare().empty());
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.finish(), record_reader::error::oversized);
}

TEST(UotFraming, TruncatedRecordIsAnErrorAtEndOfStream) {
  const bytes wire = encode({text("abc"), text("defgh")});
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    const bytes part(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
    const auto out = feed(part, all_ones(part.size()));
    const bool at_boundary = cut == 5;  // right after "abc"
    EXPECT_EQ(out.error, at_boundary ? record_reader::error::none : record_reader::error::truncated) << cut;
  }
}

TEST(UotFraming, EmptyStreamEndsCleanly) {
  record_reader reader;
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.finish(), record_reader::error::none);
}

TEST(UotFraming, SmallFlowsKeepASmallBuffer) {
  // Only a record that needs it makes the buffer grow to the largest record.
  record_reader reader;
  EXPECT_LT(reader.prepare().size(), std::size_t{32 * 1024});
  auto room = reader.prepare();
  room[0] = std::byte{0xff};
  room[1] = std::byte{0xe3};
  reader.commit(2);
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.prepare().size(), kmr::uot::max_datagram_size);
}

TEST(UotFraming, DescribesErrors) {
  EXPECT_NE(std::string(kmr::uot::describe(record_reader::error::oversized)), "?");
  EXPECT_NE(std::string(kmr::uot::describe(record_reader::error::truncated)), "?");
}

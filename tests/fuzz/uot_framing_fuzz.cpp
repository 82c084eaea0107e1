// SPDX-License-Identifier: MIT
// libFuzzer target: the UoT record reader. (1) Arbitrary bytes, fed whole and split at
// positions taken from the input, with a maximum taken from the input, must give the same
// datagrams and the same error: read boundaries never change what is decoded (the
// original's reader lost bytes across partial reads, kaminari-wire §8.1). (2) The input
// as a recipe for datagrams, framed with frame_in_place and fed in random pieces, must
// give back exactly the datagrams that went in.
#include "uot/framing.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <vector>

namespace {

using kmr::uot::record_reader;
using bytes = std::vector<std::byte>;

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

struct outcome {
  std::vector<bytes> datagrams;
  record_reader::error error = record_reader::error::none;
  friend bool operator==(const outcome&, const outcome&) = default;
};

// Feeds `stream` in chunks ending at the sorted `cuts`, checking the reader's contract.
outcome feed(const bytes& stream, std::vector<std::size_t> cuts, std::size_t max_payload) {
  record_reader reader(max_payload);
  outcome o;
  cuts.push_back(stream.size());
  std::size_t pos = 0;
  for (const std::size_t end : cuts) {
    while (pos < end) {
      const auto room = reader.prepare();
      if (room.empty()) {  // only after an error
        check(reader.failure() != record_reader::error::none);
        o.error = reader.failure();
        return o;
      }
      const std::size_t n = std::min(room.size(), end - pos);
      std::memcpy(room.data(), stream.data() + pos, n);
      reader.commit(n);
      pos += n;
      while (const auto d = reader.next()) {
        check(d->size() <= reader.max_payload());
        o.datagrams.emplace_back(d->begin(), d->end());
      }
    }
  }
  o.error = reader.finish();
  check(o.error != record_reader::error::none || reader.pending() == 0);
  return o;
}

void split_invariance(const std::uint8_t* data, std::size_t size) {
  if (size < 6) return;
  const std::size_t max_payload = (data[4] << 8 | data[5]) % (kmr::uot::max_record_payload + 1);
  const bytes stream(reinterpret_cast<const std::byte*>(data) + 6, reinterpret_cast<const std::byte*>(data) + size);
  const outcome whole = feed(stream, {}, max_payload);
  std::vector<std::size_t> cuts = {(data[0] << 8 | data[1]) % (stream.size() + 1),
                                   (data[2] << 8 | data[3]) % (stream.size() + 1)};
  std::sort(cuts.begin(), cuts.end());
  check(feed(stream, cuts, max_payload) == whole);
  if (stream.size() <= 512) {
    std::vector<std::size_t> every(stream.size());
    for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
    check(feed(stream, every, max_payload) == whole);
  }
}

// Each pair of input bytes is one datagram's length: the low 8 bits, or for a high bit
// set, a length up to the largest datagram. The stream stays under 140 KB, room for two
// of the largest, so runs stay fast.
void round_trip(const std::uint8_t* data, std::size_t size) {
  std::minstd_rand rng(static_cast<std::uint32_t>(size * 2654435761u));
  std::vector<bytes> datagrams;
  bytes stream;
  for (std::size_t pos = 0; pos + 2 <= size && stream.size() < 140000; pos += 2) {
    const std::size_t len = (data[pos] & 0x80) ? ((data[pos] & 0x7f) << 9 | data[pos + 1] << 1) %
                                                     (kmr::uot::max_datagram_size + 1)
                                               : data[pos + 1];
    bytes room(kmr::uot::header_size + len);
    for (std::size_t i = 0; i < len; ++i) room[kmr::uot::header_size + i] = static_cast<std::byte>(rng());
    datagrams.emplace_back(room.begin() + kmr::uot::header_size, room.end());
    const auto record = kmr::uot::frame_in_place(std::span(room).subspan(kmr::uot::header_size));
    check(record.data() == room.data() && record.size() == room.size());
    stream.insert(stream.end(), record.begin(), record.end());
  }
  const outcome expected{datagrams, record_reader::error::none};
  check(feed(stream, {}, kmr::uot::max_datagram_size) == expected);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0, n = 1 + rng() % 32; i < n; ++i) cuts.push_back(rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    check(feed(stream, cuts, kmr::uot::max_datagram_size) == expected);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  split_invariance(data, size);
  round_trip(data, size);
  return 0;
}

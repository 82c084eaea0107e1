// SPDX-License-Identifier: MIT
// Microbenchmarks of the WebSocket framing on the data path (src/ws/frame.hpp):
// header encoding, header decoding through frame_reader, frame_reader throughput over a
// stream of data frames (no mask, zero key, random key), and unmasking (apply_mask)
// against a memcpy of the same size. Bytes per second are reported by Google Benchmark
// as bytes_per_second (GB/s = that / 1e9).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "ws/frame.hpp"

namespace {

using kmr::ws::frame_header;
using kmr::ws::mask_key;

mask_key random_key() {
  std::mt19937 rng(42);
  mask_key k;
  for (auto& b : k) b = std::byte{static_cast<unsigned char>(rng() | 1)};  // never zero
  return k;
}

std::vector<std::byte> random_bytes(std::size_t n) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(7);
  for (auto& b : v) b = std::byte{static_cast<unsigned char>(rng())};
  return v;
}

// --- header encode ---------------------------------------------------------------------
// range(0): payload length (decides 7, 16 or 64-bit length); range(1): masked or not.
void BM_EncodeHeader(benchmark::State& state) {
  frame_header h;
  h.payload_len = static_cast<std::uint64_t>(state.range(0));
  if (state.range(1) != 0) h.mask = random_key();
  std::array<std::byte, kmr::ws::max_header_size> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(h);
    const std::size_t n = kmr::ws::encode_header(h, out);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeHeader)->ArgNames({"len", "masked"})
    ->Args({100, 0})->Args({16384, 0})->Args({16384, 1})->Args({1 << 20, 1});

// A stream of `frames` data frames of `payload` bytes each, as a peer would send it.
std::vector<std::byte> frame_stream(std::size_t payload, std::size_t frames, int key_mode) {
  std::vector<std::byte> s;
  const auto body = random_bytes(payload);
  for (std::size_t i = 0; i < frames; ++i) {
    frame_header h;
    h.payload_len = payload;
    if (key_mode == 1) h.mask = mask_key{};  // kaminari's "skip": a zero key
    if (key_mode == 2) h.mask = random_key();
    std::array<std::byte, kmr::ws::max_header_size> head{};
    const std::size_t n = kmr::ws::encode_header(h, head);
    s.insert(s.end(), head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
    const std::size_t at = s.size();
    s.insert(s.end(), body.begin(), body.end());
    if (h.mask) kmr::ws::apply_mask(std::span(s).subspan(at, payload), *h.mask, 0);
  }
  return s;
}

// Reads a whole stream through frame_reader, fed `chunk` bytes at a time as reads
// would deliver it; returns the payload bytes seen.
std::size_t read_stream(std::vector<std::byte>& s, std::size_t chunk) {
  kmr::ws::frame_reader r;
  std::size_t payload = 0;
  for (std::size_t off = 0; off < s.size();) {
    std::span<std::byte> in(s.data() + off, std::min(chunk, s.size() - off));
    while (!in.empty()) {
      const auto st = r.next(in);
      if (st.what == kmr::ws::step::kind::data) payload += st.data.size();
      if (st.what == kmr::ws::step::kind::protocol_error) return 0;
      in = in.subspan(st.consumed);
    }
    off += chunk;
  }
  return payload;
}

// --- header decode: many tiny frames (8-byte payload), so the header dominates --------
void BM_DecodeHeaders(benchmark::State& state) {
  const std::size_t frames = 4096;
  auto s = frame_stream(8, frames, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(read_stream(s, 16384));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames));
}
BENCHMARK(BM_DecodeHeaders)->ArgName("key")->Arg(0)->Arg(2);

// --- frame_reader throughput: range(0) payload per frame, range(1) key mode
// (0 unmasked, 1 zero key, 2 random key); fed in 64 KiB reads.
void BM_FrameReader(benchmark::State& state) {
  const auto payload = static_cast<std::size_t>(state.range(0));
  const std::size_t frames = std::max<std::size_t>(1, (4u << 20) / payload);
  auto s = frame_stream(payload, frames, static_cast<int>(state.range(1)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(read_stream(s, 65536));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_FrameReader)->ArgNames({"payload", "key"})
    ->Args({16384, 0})->Args({16384, 1})->Args({16384, 2})->Args({65536, 2})->Args({1400, 2});

// --- unmasking vs memcpy: range(0) size, range(1) 0 zero key / 1 random key -----------
void BM_ApplyMask(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto data = random_bytes(n);
  const mask_key key = state.range(1) != 0 ? random_key() : mask_key{};
  std::size_t phase = 1;  // an unaligned phase, as in the middle of a frame
  for (auto _ : state) {
    phase = kmr::ws::apply_mask(data, key, phase);
    benchmark::DoNotOptimize(data.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_ApplyMask)->ArgNames({"size", "random_key"})
    ->Args({64, 1})->Args({1400, 1})->Args({16384, 0})->Args({16384, 1})
    ->Args({65536, 1})->Args({1 << 20, 1});

void BM_Memcpy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto src = random_bytes(n);
  std::vector<std::byte> dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Memcpy)->ArgName("size")->Arg(64)->Arg(1400)->Arg(16384)->Arg(65536)->Arg(1 << 20);

}  // namespace

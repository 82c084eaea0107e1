// SPDX-License-Identifier: MIT
// Microbenchmarks of the UoT record codec (src/uot/framing.hpp, record_batch.hpp):
// framing a datagram in place, decoding a record stream that arrives in 64 KiB reads, and
// batching datagrams for one tunnel write. Built only when the uot layer's sources exist
// (bench/CMakeLists.txt defines KMR_BENCH_HAVE_UOT).
#if defined(KMR_BENCH_HAVE_UOT)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "uot/framing.hpp"
#include "uot/record_batch.hpp"

namespace {

// range(0): datagram size.
void BM_UotFrameInPlace(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> buf(kmr::uot::header_size + n, std::byte{0x5a});
  for (auto _ : state) {
    auto rec = kmr::uot::frame_in_place(std::span(buf).subspan(kmr::uot::header_size));
    benchmark::DoNotOptimize(rec.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_UotFrameInPlace)->ArgName("size")->Arg(64)->Arg(1200)->Arg(65507);

// A stream of records of `size` bytes, read in 64 KiB pieces as a socket would deliver
// them (the copy into prepare() stands for the read), every datagram handed out.
void BM_UotRecordReader(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t records = std::max<std::size_t>(1, (4u << 20) / (size + 2));
  std::vector<std::byte> stream;
  for (std::size_t i = 0; i < records; ++i) {
    std::byte head[kmr::uot::header_size];
    kmr::uot::encode_header(size, std::span<std::byte, kmr::uot::header_size>(head));
    stream.insert(stream.end(), head, head + kmr::uot::header_size);
    stream.insert(stream.end(), size, std::byte{0x33});
  }
  for (auto _ : state) {
    kmr::uot::record_reader r;
    std::size_t off = 0, got = 0;
    while (off < stream.size()) {
      auto room = r.prepare();
      const std::size_t n = std::min({room.size(), stream.size() - off, std::size_t{65536}});
      std::memcpy(room.data(), stream.data() + off, n);
      r.commit(n);
      off += n;
      while (auto d = r.next()) got += d->size();
    }
    benchmark::DoNotOptimize(got);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}
BENCHMARK(BM_UotRecordReader)->ArgName("size")->Arg(64)->Arg(1200)->Arg(65507);

// Datagrams of `size` bytes appended to a batch (16 KiB headroom-less, 64 datagrams).
void BM_UotRecordBatch(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> dgram(size, std::byte{0x77});
  kmr::uot::record_batch batch(14, 64 * 1024, 64);
  std::size_t appended = 0;
  for (auto _ : state) {
    if (!batch.append(dgram)) {
      batch.clear();
      batch.append(dgram);
    }
    ++appended;
    benchmark::DoNotOptimize(batch.records().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(appended));
  state.SetBytesProcessed(static_cast<std::int64_t>(appended * size));
}
BENCHMARK(BM_UotRecordBatch)->ArgName("size")->Arg(64)->Arg(1200);

}  // namespace
#endif

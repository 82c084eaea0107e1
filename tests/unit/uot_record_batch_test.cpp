// SPDX-License-Identifier: MIT
#include "uot/record_batch.hpp"  // first: the header must be self-contained

#include "uot/datagram_queue.hpp"
#include "uot/flow_budget.hpp"
#include "uot/framing.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using kmr::uot::record_batch;
using bytes = std::vector<std::byte>;

namespace {

bytes filled(std::size_t size, std::uint8_t value) { return bytes(size, std::byte{value}); }

bytes contents(std::span<const std::byte> s) { return bytes(s.begin(), s.end()); }

// Records back to back, decoded with the reader: what a tunnel peer would get.
std::vector<bytes> decode(std::span<const std::byte> wire) {
  kmr::uot::record_reader reader;
  std::vector<bytes> out;
  while (!wire.empty()) {
    const auto room = reader.prepare();
    const std::size_t n = std::min(room.size(), wire.size());
    std::memcpy(room.data(), wire.data(), n);
    reader.commit(n);
    wire = wire.subspan(n);
    while (const auto d = reader.next()) out.push_back(contents(*d));
  }
  EXPECT_EQ(reader.finish(), kmr::uot::record_reader::error::none);
  return out;
}

}  // namespace

TEST(UotRecordBatch, FramesDatagramsBackToBack) {
  record_batch batch(16, 1 << 20, 100);
  ASSERT_TRUE(batch.append(filled(3, 'a')));
  ASSERT_TRUE(batch.append({}));
  ASSERT_TRUE(batch.append(filled(kmr::uot::max_datagram_size, 'b')));
  EXPECT_EQ(batch.datagrams(), 3u);
  EXPECT_EQ(batch.bytes(), 3u + 0 + kmr::uot::max_datagram_size + 3 * kmr::uot::header_size);
  EXPECT_EQ(decode(batch.records()),
            (std::vector<bytes>{filled(3, 'a'), {}, filled(kmr::uot::max_datagram_size, 'b')}));
}

TEST(UotRecordBatch, KeepsHeadroomWritableInFrontOfTheRecords) {
  record_batch batch(16, 4096, 8);
  ASSERT_TRUE(batch.append(filled(10, 'x')));
  // A ws layer writes its header there (ASan would catch a write outside the storage).
  std::memset(batch.records().data() - batch.headroom(), 0xee, batch.headroom());
  EXPECT_EQ(decode(batch.records()), (std::vector<bytes>{filled(10, 'x')}));
}

TEST(UotRecordBatch, RefusesPastItsLimits) {
  record_batch by_count(16, 1 << 20, 2);
  EXPECT_TRUE(by_count.append(filled(1, 1)));
  EXPECT_TRUE(by_count.append(filled(1, 2)));
  EXPECT_TRUE(by_count.full());
  EXPECT_FALSE(by_count.append(filled(1, 3)));
  EXPECT_EQ(by_count.datagrams(), 2u);

  record_batch by_bytes(16, 10, 100);
  EXPECT_TRUE(by_bytes.append(filled(6, 1)));  // 8 bytes as a record
  EXPECT_FALSE(by_bytes.append(filled(1, 2)));  // 3 more would make 11
  EXPECT_TRUE(by_bytes.append({}));             // 2 more make 10
  EXPECT_EQ(by_bytes.bytes(), 10u);
  EXPECT_FALSE(by_bytes.append(filled(0x10000, 3)));  // no u16 length for it anyway
}

TEST(UotRecordBatch, ReceivesStraightIntoTheBatch) {
  record_batch batch(16, 1 << 20, 10);
  auto room = batch.prepare(100);
  ASSERT_EQ(room.size(), 100u);
  std::memset(room.data(), 'r', 5);
  batch.commit(5);
  EXPECT_EQ(decode(batch.records()), (std::vector<bytes>{filled(5, 'r')}));
  EXPECT_TRUE(batch.prepare(1 << 20).empty());  // over the byte limit
}

TEST(UotRecordBatch, ClearKeepsWorking) {
  record_batch batch(16, 1 << 20, 10);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(batch.append(filled(1000, static_cast<std::uint8_t>(round))));
    EXPECT_EQ(decode(batch.records()), (std::vector<bytes>{filled(1000, static_cast<std::uint8_t>(round))}));
    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.bytes(), 0u);
  }
}

TEST(UotDatagramQueue, HandsOutBatchesInOrder_FillingTheOtherMeanwhile) {
  kmr::uot::datagram_queue queue(16, {.datagrams = 2, .bytes = 1 << 20});
  EXPECT_EQ(queue.take(), nullptr);
  ASSERT_TRUE(queue.push(filled(1, 1)));
  ASSERT_TRUE(queue.push(filled(1, 2)));
  EXPECT_FALSE(queue.push(filled(1, 3)));  // full: dropped by the caller
  record_batch* first = queue.take();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(queue.take(), nullptr);  // one batch at a time
  ASSERT_TRUE(queue.push(filled(1, 4)));  // while the first is being written
  EXPECT_EQ(queue.waiting(), 1u);
  EXPECT_EQ(decode(first->records()), (std::vector<bytes>{filled(1, 1), filled(1, 2)}));
  queue.done(*first);
  record_batch* second = queue.take();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(decode(second->records()), (std::vector<bytes>{filled(1, 4)}));
  queue.done(*second);
  EXPECT_EQ(queue.take(), nullptr);
}

TEST(UotFlowBudget, CapsFlowsAndGivesSlotsBack) {
  kmr::uot::flow_budget budget(2);
  {
    const auto a = kmr::uot::take_slot(budget);
    auto b = kmr::uot::take_slot(budget);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(kmr::uot::take_slot(budget));
    EXPECT_EQ(budget.in_use(), 2u);
    const kmr::uot::flow_slot moved(std::move(*b));
    EXPECT_EQ(budget.in_use(), 2u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_TRUE(kmr::uot::take_slot(budget));
  EXPECT_EQ(budget.in_use(), 0u);  // the temporary slot went back at once
}

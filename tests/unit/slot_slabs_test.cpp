// SPDX-License-Identifier: MIT
#include "core/slot_slabs.hpp"  // first: the header must compile on its own

#include "core/asio.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

TEST(SlotSlabs, CarvesAlignedSlotsFromFewSlabs) {
  kmr::slot_slabs slabs(40, 16);
  std::vector<void*> slots;
  for (int i = 0; i < 40; ++i) slots.push_back(slabs.allocate());
  EXPECT_EQ(slabs.live(), 40u);
  EXPECT_EQ(slabs.slabs(), 3u);  // 16 + 16 + 8
  std::set<void*> distinct(slots.begin(), slots.end());
  EXPECT_EQ(distinct.size(), slots.size());
  for (void* p : slots) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u);
  for (void* p : slots) slabs.deallocate(p);
  EXPECT_EQ(slabs.live(), 0u);
  EXPECT_EQ(slabs.slabs(), 0u);  // all free: given back
}

TEST(SlotSlabs, ReusesFreedSlotsBeforeCarvingMore) {
  kmr::slot_slabs slabs(24, 4);
  void* a = slabs.allocate();
  void* b = slabs.allocate();
  slabs.deallocate(a);
  EXPECT_EQ(slabs.allocate(), a);
  for (int i = 0; i < 2; ++i) (void)slabs.allocate();  // fills the first slab
  EXPECT_EQ(slabs.slabs(), 1u);
  slabs.deallocate(b);
  EXPECT_EQ(slabs.allocate(), b);
  EXPECT_EQ(slabs.slabs(), 1u);
}

// core/asio_impl.cpp hooks Asio's reactor so that each socket's state comes from slabs;
// an Asio version the hook was not written for would quietly go back to malloc.
TEST(SlotSlabs, AsioTakesItsSocketStatesFromSlabs) {
  const kmr::slot_slabs* slots = kmr::asio_descriptor_slots();
  ASSERT_NE(slots, nullptr) << "core/asio_impl.cpp does not know this Asio version";
  kmr::asio::io_context io;
  std::vector<kmr::tcp::socket> sockets;
  const auto before = slots->live();
  for (int i = 0; i < 8; ++i) sockets.emplace_back(io).open(kmr::tcp::v4());
  EXPECT_GE(slots->live(), before + 8);
}

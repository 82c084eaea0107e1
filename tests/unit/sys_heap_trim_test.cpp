// SPDX-License-Identifier: MIT
#include "sys/heap_trim.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using kmr::sys::heap_trim_policy;

namespace {

const heap_trim_policy::clock::time_point t0{};

}  // namespace

TEST(HeapTrimPolicy, TrimsOnceAfterABurstHasBeenClosed) {
  heap_trim_policy p;
  EXPECT_FALSE(p.observe(0, t0));
  EXPECT_FALSE(p.observe(10000, t0 + 1s));  // the burst
  EXPECT_FALSE(p.observe(4000, t0 + 2s));   // closing: still falling fast
  EXPECT_FALSE(p.observe(0, t0 + 3s));      // still fell a lot since the last look
  EXPECT_TRUE(p.observe(0, t0 + 4s));       // settled
  EXPECT_FALSE(p.observe(0, t0 + 5s));      // once
  EXPECT_FALSE(p.observe(0, t0 + 60s));
}

TEST(HeapTrimPolicy, IgnoresSmallLoadsAndPartialDrops) {
  heap_trim_policy p;
  EXPECT_FALSE(p.observe(200, t0));
  EXPECT_FALSE(p.observe(0, t0 + 1s));
  EXPECT_FALSE(p.observe(0, t0 + 2s));  // 200 closed: below min_drop
  EXPECT_FALSE(p.observe(10000, t0 + 3s));
  EXPECT_FALSE(p.observe(9000, t0 + 4s));
  EXPECT_FALSE(p.observe(9000, t0 + 5s));  // a tenth closed: not a burst's end
  EXPECT_FALSE(p.observe(3000, t0 + 6s));
  EXPECT_FALSE(p.observe(3000, t0 + 7s));  // 7000 closed, but 3000 would wait for the trim
  EXPECT_FALSE(p.observe(2500, t0 + 8s));  // a quarter left, but still falling
  EXPECT_TRUE(p.observe(2500, t0 + 9s));
}

TEST(HeapTrimPolicy, KeepsItsGapBetweenTrims) {
  heap_trim_policy p({.min_drop = 100, .min_gap = 10s});
  EXPECT_FALSE(p.observe(1000, t0));
  EXPECT_FALSE(p.observe(0, t0 + 1s));
  EXPECT_TRUE(p.observe(0, t0 + 2s));
  EXPECT_FALSE(p.observe(1000, t0 + 3s));  // a second burst at once
  EXPECT_FALSE(p.observe(0, t0 + 4s));
  EXPECT_FALSE(p.observe(0, t0 + 5s));     // over, but the last trim is 3 s old
  EXPECT_TRUE(p.observe(0, t0 + 12s));
}

TEST(HeapTrimPolicy, TrimsAfterASlowDeclineToo) {
  heap_trim_policy p({.min_drop = 100, .min_gap = 10s});
  EXPECT_FALSE(p.observe(1000, t0));
  int trims = 0;
  for (int open = 980, i = 1; open >= 0; open -= 20, ++i) trims += p.observe(open, t0 + i * 1s) ? 1 : 0;
  EXPECT_GE(trims, 1);  // once three quarters had gone, then again for three quarters of the rest
  EXPECT_LE(trims, 5);
}

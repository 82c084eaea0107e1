// SPDX-License-Identifier: MIT
#include "opt/option_table.hpp"  // first: the header must be self-contained

#include <gtest/gtest.h>

using kmr::opt::find_option;

TEST(OptionTable, FindsExactNamesOnly) {
  ASSERT_NE(find_option("threads"), nullptr);
  EXPECT_EQ(find_option("threads")->name, "threads");
  EXPECT_EQ(find_option("Threads"), nullptr);
  EXPECT_EQ(find_option("thread"), nullptr);
  EXPECT_EQ(find_option("threadsx"), nullptr);
  EXPECT_EQ(find_option(""), nullptr);
}

TEST(OptionTable, KnowsTheNewOperationsOptions) {
  const auto* drain = find_option("drain");
  const auto* reload = find_option("reload");
  ASSERT_TRUE(drain && reload);
  EXPECT_EQ(drain->group, kmr::opt::option_group::operations);
  EXPECT_EQ(kmr::opt::option_usage(*reload), "reload=signal|watch");
  EXPECT_EQ(reload->default_text, "signal");
}

TEST(OptionTable, UsageShowsThePlaceholderOfValuesOnly) {
  EXPECT_EQ(kmr::opt::option_usage(*find_option("ws")), "ws");
  EXPECT_EQ(kmr::opt::option_usage(*find_option("connect-timeout")), "connect-timeout=DUR");
  EXPECT_EQ(kmr::opt::option_usage(*find_option("mask")), "mask=skip|fixed|standard");
}

TEST(OptionTable, KnownKeyIsUsableAtCompileTime) {
  constexpr auto key = kmr::opt::known_key("udp-max-flows");
  static_assert(key == "udp-max-flows");
  EXPECT_EQ(key, "udp-max-flows");
}

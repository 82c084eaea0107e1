// SPDX-License-Identifier: MIT
#include "opt/duration.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <string>

using kmr::opt::parse_duration;
using std::chrono::milliseconds;
using namespace std::string_literals;

namespace {

milliseconds ms_of(std::string_view text) {
  const auto d = parse_duration(text);
  EXPECT_TRUE(d) << "rejected: " << text << " (" << (d ? "" : d.error()) << ")";
  return d ? *d : milliseconds(-1);
}

}  // namespace

TEST(Duration, ParsesSecondsByDefault) {
  EXPECT_EQ(ms_of("10"), milliseconds(10000));
  EXPECT_EQ(ms_of("10s"), milliseconds(10000));
  EXPECT_EQ(ms_of("0"), milliseconds(0));
  EXPECT_EQ(ms_of("0s"), milliseconds(0));
  EXPECT_EQ(ms_of("007"), milliseconds(7000));
}

TEST(Duration, ParsesDecimalSeconds) {
  EXPECT_EQ(ms_of("1.5"), milliseconds(1500));
  EXPECT_EQ(ms_of("0.25s"), milliseconds(250));
  EXPECT_EQ(ms_of("0.001"), milliseconds(1));
  EXPECT_EQ(ms_of("2.500"), milliseconds(2500));
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(ms_of("500ms"), milliseconds(500));
  EXPECT_EQ(ms_of("2m"), milliseconds(120000));
  EXPECT_EQ(ms_of("1h"), milliseconds(3600000));
  EXPECT_EQ(ms_of("1.5m"), milliseconds(90000));
  EXPECT_EQ(ms_of("0.5h"), milliseconds(1800000));
}

TEST(Duration, AcceptsExactlySevenDays) {
  EXPECT_EQ(ms_of("168h"), milliseconds(604800000));
  EXPECT_EQ(ms_of("604800"), milliseconds(604800000));
  EXPECT_EQ(ms_of("10080m"), milliseconds(604800000));
  EXPECT_EQ(ms_of("604800000ms"), milliseconds(604800000));
}

TEST(Duration, RejectsMoreThanSevenDays) {
  for (const char* text : {"169h", "604801", "604800.001", "10081m", "604800001ms", "168.5h",
                           "7000000"}) {
    const auto d = parse_duration(text);
    EXPECT_FALSE(d) << text << " gave " << (d ? d->count() : 0);
  }
  const auto d = parse_duration("604801");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("7 days"), std::string::npos) << d.error();
}

TEST(Duration, RejectsOverflow) {
  for (const char* text : {"99999999999999999999", "99999999999999999999ms",
                           "18446744073709551616", "9223372036854775807h"}) {
    EXPECT_FALSE(parse_duration(text)) << text;
  }
  EXPECT_FALSE(parse_duration(std::string(1u << 20, '9')));
}

TEST(Duration, RejectsMalformed) {
  for (const char* text : {"", "-1", "-0", "+1", "abc", "10x", "1e9", "8d", "1.", ".5", "1..5",
                           "1.5.5", " 10", "10 ", "10 s", "10S", "1H", "s", "ms", "1ms5",
                           "0x10", "1,5", "10sec", "1.5ms", "inf", "nan", "１"}) {
    const auto d = parse_duration(text);
    EXPECT_FALSE(d) << "'" << text << "' gave " << (d ? d->count() : 0);
    if (!d) {
      EXPECT_FALSE(d.error().empty());
    }
  }
  EXPECT_FALSE(parse_duration("1\0"s));
  EXPECT_FALSE(parse_duration("\xff"));
}

TEST(Duration, ExplainsNegative_AndEmpty) {
  EXPECT_NE(parse_duration("-1").error().find("negative"), std::string::npos);
  EXPECT_NE(parse_duration("").error().find("empty"), std::string::npos);
}

TEST(Duration, RejectsSubMillisecondPrecision) {
  // Dropping it silently would turn "0.0001" into 0, which callers may read as "off".
  EXPECT_FALSE(parse_duration("0.0001"));
  EXPECT_FALSE(parse_duration("1.2345s"));
  EXPECT_EQ(ms_of("0.0001m"), milliseconds(6));  // exactly 6 ms
}

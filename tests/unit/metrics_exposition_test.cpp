// SPDX-License-Identifier: MIT
#include "metrics/exposition.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using kmr::metrics::exposition;
using kmr::metrics::label;
using kmr::metrics::metric_type;
using kmr::metrics::valid_label_name;
using kmr::metrics::valid_metric_name;

namespace {

std::string one_sample(double v) {
  exposition e;
  e.sample("m", {}, v);
  return e.take();
}

}  // namespace

TEST(MetricsExposition, ContentTypeIsTextVersion004) {
  EXPECT_EQ(kmr::metrics::content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(MetricsExposition, FamilyWritesHelpThenType) {
  exposition e;
  e.family("kaminari_bytes_total", metric_type::counter, "Payload bytes relayed.");
  e.family("kaminari_connections_active", metric_type::gauge, "Open now.");
  e.family("kaminari_handshake_seconds", metric_type::histogram, "");
  EXPECT_EQ(e.text(),
            "# HELP kaminari_bytes_total Payload bytes relayed.\n"
            "# TYPE kaminari_bytes_total counter\n"
            "# HELP kaminari_connections_active Open now.\n"
            "# TYPE kaminari_connections_active gauge\n"
            "# HELP kaminari_handshake_seconds \n"
            "# TYPE kaminari_handshake_seconds histogram\n");
}

TEST(MetricsExposition, HelpEscapesBackslashAndNewlineOnly) {
  exposition e;
  e.family("m", metric_type::gauge, "a\\b\nc \"quoted\" é\t");
  EXPECT_EQ(e.text(), "# HELP m a\\\\b\\nc \"quoted\" é\t\n# TYPE m gauge\n");
}

TEST(MetricsExposition, SampleWithoutLabelsHasNoBraces) {
  exposition e;
  e.sample("kaminari_draining", {}, std::uint64_t{0});
  EXPECT_EQ(e.text(), "kaminari_draining 0\n");
}

TEST(MetricsExposition, SampleWritesLabelsInTheirOrder) {
  exposition e;
  const std::array labels{label{"side", "server"}, label{"transport", "wss"}, label{"reason", "completed"}};
  e.sample("kaminari_connections_ended_total", labels, std::uint64_t{42});
  EXPECT_EQ(e.text(), "kaminari_connections_ended_total{side=\"server\",transport=\"wss\",reason=\"completed\"} 42\n");
}

TEST(MetricsExposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  exposition e;
  const std::array labels{label{"v", "a\\b\"c\nd"}, label{"empty", ""}};
  e.sample("m", labels, std::uint64_t{1});
  EXPECT_EQ(e.text(), "m{v=\"a\\\\b\\\"c\\nd\",empty=\"\"} 1\n");
}

TEST(MetricsExposition, LabelValuesPassOtherBytesThrough) {
  exposition e;
  const std::string odd("tab\there\x01 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 {}=,");
  const std::array labels{label{"v", odd}};
  e.sample("m", labels, std::uint64_t{1});
  EXPECT_EQ(e.text(), "m{v=\"" + odd + "\"} 1\n");
}

TEST(MetricsExposition, IntegerValuesAreExact) {
  exposition e;
  e.sample("a", {}, std::numeric_limits<std::uint64_t>::max());
  e.sample("b", {}, std::int64_t{-5});
  e.sample("c", {}, std::numeric_limits<std::int64_t>::min());
  e.sample("d", {}, 3);                     // int
  e.sample("e", {}, 4u);                    // unsigned int
  e.sample("f", {}, std::size_t{1} << 40);  // size_t
  EXPECT_EQ(e.text(),
            "a 18446744073709551615\n"
            "b -5\n"
            "c -9223372036854775808\n"
            "d 3\n"
            "e 4\n"
            "f 1099511627776\n");
}

TEST(MetricsExposition, WholeDoublesAreWrittenAsIntegers) {
  EXPECT_EQ(one_sample(0.0), "m 0\n");
  EXPECT_EQ(one_sample(1.0), "m 1\n");
  EXPECT_EQ(one_sample(-7.0), "m -7\n");
  EXPECT_EQ(one_sample(1e15), "m 1000000000000000\n");
  EXPECT_EQ(one_sample(1767225600.0), "m 1767225600\n");
  EXPECT_EQ(one_sample(9007199254740991.0), "m 9007199254740991\n");  // 2^53 - 1
  EXPECT_EQ(one_sample(1e16), "m 1e+16\n");  // still exact, and what Go's ParseFloat reads
}

TEST(MetricsExposition, FractionalDoublesRoundTripShortest) {
  EXPECT_EQ(one_sample(0.1), "m 0.1\n");
  EXPECT_EQ(one_sample(2.5), "m 2.5\n");
  EXPECT_EQ(one_sample(-0.25), "m -0.25\n");
  EXPECT_EQ(one_sample(0.005), "m 0.005\n");
  EXPECT_EQ(one_sample(1767225600.125), "m 1767225600.125\n");
  EXPECT_EQ(one_sample(1.0 / 3.0), "m 0.3333333333333333\n");
  EXPECT_EQ(one_sample(1e300), "m 1e+300\n");
}

TEST(MetricsExposition, SpecialDoublesUsePrometheusSpelling) {
  EXPECT_EQ(one_sample(std::numeric_limits<double>::quiet_NaN()), "m NaN\n");
  EXPECT_EQ(one_sample(std::numeric_limits<double>::infinity()), "m +Inf\n");
  EXPECT_EQ(one_sample(-std::numeric_limits<double>::infinity()), "m -Inf\n");
}

TEST(MetricsExposition, HistogramWritesCumulativeBucketsSumAndCount) {
  exposition e;
  const std::array labels{label{"side", "client"}};
  const std::array<double, 3> bounds{0.005, 1, 2.5};
  const std::array<std::uint64_t, 4> counts{2, 0, 3, 1};  // per bucket; the last is above 2.5
  e.family("kaminari_tls_handshake_duration_seconds", metric_type::histogram, "Time to complete a TLS handshake.");
  e.histogram("kaminari_tls_handshake_duration_seconds", labels, bounds, counts, 7.25);
  EXPECT_EQ(e.text(),
            "# HELP kaminari_tls_handshake_duration_seconds Time to complete a TLS handshake.\n"
            "# TYPE kaminari_tls_handshake_duration_seconds histogram\n"
            "kaminari_tls_handshake_duration_seconds_bucket{side=\"client\",le=\"0.005\"} 2\n"
            "kaminari_tls_handshake_duration_seconds_bucket{side=\"client\",le=\"1\"} 2\n"
            "kaminari_tls_handshake_duration_seconds_bucket{side=\"client\",le=\"2.5\"} 5\n"
            "kaminari_tls_handshake_duration_seconds_bucket{side=\"client\",le=\"+Inf\"} 6\n"
            "kaminari_tls_handshake_duration_seconds_sum{side=\"client\"} 7.25\n"
            "kaminari_tls_handshake_duration_seconds_count{side=\"client\"} 6\n");
}

TEST(MetricsExposition, HistogramWithoutLabelsOrBounds) {
  exposition e;
  const std::array<double, 1> bounds{0.5};
  const std::array<std::uint64_t, 2> counts{0, 0};
  e.histogram("h", {}, bounds, counts, 0.0);
  const std::array<std::uint64_t, 1> only{3};
  e.histogram("g", {}, {}, only, 1.5);
  EXPECT_EQ(e.text(),
            "h_bucket{le=\"0.5\"} 0\n"
            "h_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\n"
            "h_count 0\n"
            "g_bucket{le=\"+Inf\"} 3\n"
            "g_sum 1.5\n"
            "g_count 3\n");
}

TEST(MetricsExposition, TakeReturnsTheTextAndEmptiesTheWriter) {
  exposition e;
  e.sample("a", {}, std::uint64_t{1});
  EXPECT_EQ(e.take(), "a 1\n");
  EXPECT_EQ(e.text(), "");
  e.sample("b", {}, std::uint64_t{2});
  EXPECT_EQ(e.take(), "b 2\n");
}

TEST(MetricsExposition, ValidMetricNames) {
  for (const char* ok : {"a", "_", ":", "kaminari_bytes_total", "job:rate5m", "A9_:z", "__reserved_is_fine"}) {
    EXPECT_TRUE(valid_metric_name(ok)) << ok;
  }
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é", "a\n", "a{"}) {
    EXPECT_FALSE(valid_metric_name(bad)) << bad;
  }
}

TEST(MetricsExposition, ValidLabelNames) {
  for (const char* ok : {"a", "_", "side", "le", "A_9", "_x"}) EXPECT_TRUE(valid_label_name(ok)) << ok;
  for (const char* bad : {"", "__name__", "__", "9a", "a:b", "a-b", "a b", "é"}) {
    EXPECT_FALSE(valid_label_name(bad)) << bad;
  }
}

// Invalid names are the caller's bug: a debug build stops at the assert, a release build
// skips the line and leaves the rest of the scrape intact.
TEST(MetricsExpositionDeathTest, InvalidNamesAreSkipped) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  exposition e;
  const std::array bad_label{label{"bad-name", "v"}};
  const std::array reserved{label{"__name__", "v"}};
  EXPECT_DEBUG_DEATH(e.family("bad name", metric_type::gauge, "h"), "invalid metric");
  EXPECT_DEBUG_DEATH(e.sample("9lives", {}, std::uint64_t{1}), "invalid metric");
  EXPECT_DEBUG_DEATH(e.sample("m", bad_label, 1.0), "invalid metric");
  EXPECT_DEBUG_DEATH(e.sample("m", reserved, std::int64_t{-1}), "invalid metric");
  e.sample("ok", {}, std::uint64_t{1});
  EXPECT_EQ(e.text(), "ok 1\n");
}

TEST(MetricsExpositionDeathTest, MisshapenHistogramsAreSkipped) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  exposition e;
  const std::array<double, 2> bounds{1, 2};
  const std::array<double, 2> unsorted{2, 1};
  const std::array<double, 2> infinite{1, std::numeric_limits<double>::infinity()};
  const std::array<std::uint64_t, 3> three{1, 1, 1};
  const std::array<std::uint64_t, 2> two{1, 1};
  const std::array le{label{"le", "1"}};
  EXPECT_DEBUG_DEATH(e.histogram("h", {}, bounds, two, 1.0), "invalid metric");
  EXPECT_DEBUG_DEATH(e.histogram("h", {}, unsorted, three, 1.0), "invalid metric");
  EXPECT_DEBUG_DEATH(e.histogram("h", {}, infinite, three, 1.0), "invalid metric");
  EXPECT_DEBUG_DEATH(e.histogram("h", le, bounds, three, 1.0), "invalid metric");
  EXPECT_DEBUG_DEATH(e.histogram("h-x", {}, bounds, three, 1.0), "invalid metric");
  EXPECT_EQ(e.text(), "");
}

// SPDX-License-Identifier: MIT
#include "opt/config.hpp"  // first: the header must be self-contained

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using kmr::opt::make_config;
using kmr::opt::plugin_options;
using kmr::opt::side;

namespace {

kmr::expected<kmr::opt::tunnel_config, kmr::opt::option_error> config_of(std::string_view text,
                                                                       side role = side::client) {
  auto options = plugin_options::parse(text);
  EXPECT_TRUE(options) << text;
  return make_config(role, {"127.0.0.1", 1}, {"127.0.0.1", 2}, *options);
}

std::string failing_key(std::string_view text) {
  auto c = config_of(text);
  EXPECT_FALSE(c) << text;
  return c ? std::string("<accepted>") : c.error().key;
}

}  // namespace

TEST(Config, EmptyOptionsMeanPlainTcpWithDefaults) {
  auto c = config_of("");
  ASSERT_TRUE(c);
  EXPECT_GE(c->threads, 1u);
  EXPECT_EQ(c->log_level, kmr::log::level::info);
  EXPECT_EQ(c->limits.connect_timeout, 10s);
  EXPECT_EQ(c->limits.idle_timeout, 0s);
  EXPECT_EQ(c->limits.half_close_timeout, 60s);
  EXPECT_EQ(c->limits.keepalive, 60s);
  EXPECT_TRUE(c->ignored_items.empty());
  EXPECT_EQ(kmr::opt::layer_label(*c), "[plain]");
}

TEST(Config, ReadsEveryOption) {
  auto c = config_of("threads=3;log=debug;connect-timeout=2.5;idle-timeout=5m;"
                     "half-close-timeout=30s;keepalive=0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->threads, 3u);
  EXPECT_EQ(c->log_level, kmr::log::level::debug);
  EXPECT_EQ(c->limits.connect_timeout, 2500ms);
  EXPECT_EQ(c->limits.idle_timeout, 5min);
  EXPECT_EQ(c->limits.half_close_timeout, 30s);
  EXPECT_EQ(c->limits.keepalive, 0s);
}

TEST(Config, RejectsBadValuesNamingTheOption) {
  EXPECT_EQ(failing_key("threads=0"), "threads");
  EXPECT_EQ(failing_key("threads=257"), "threads");
  EXPECT_EQ(failing_key("threads=2x"), "threads");
  EXPECT_EQ(failing_key("threads=-1"), "threads");
  EXPECT_EQ(failing_key("log=loud"), "log");
  EXPECT_EQ(failing_key("connect-timeout=0"), "connect-timeout");
  EXPECT_EQ(failing_key("connect-timeout=-1"), "connect-timeout");
  EXPECT_EQ(failing_key("idle-timeout=soon"), "idle-timeout");
  EXPECT_EQ(failing_key("half-close-timeout=0"), "half-close-timeout");
  EXPECT_EQ(failing_key("keepalive=100ms"), "keepalive");
}

TEST(Config, RejectsValueOptionsWithoutValue) {
  EXPECT_EQ(failing_key("threads"), "threads");
  EXPECT_EQ(failing_key("log"), "log");
}

TEST(Config, EmptyValueCountsAsAbsent) {
  auto c = config_of("threads=;log=");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->log_level, kmr::log::level::info);
}

TEST(Config, RefusesLayersThisBuildDoesNotCarry) {
  // Falling back to plain TCP when TLS was asked for would mislead the user (realm#56).
  EXPECT_EQ(failing_key("ws;host=a;path=/"), "ws");
  EXPECT_EQ(failing_key("tls;sni=a"), "tls");
  EXPECT_EQ(failing_key("uot"), "uot");
}

TEST(Config, RejectsFlagsWithValues_UnlikeTheOriginal) {
  // The original ignores "tls=true" and silently runs without TLS.
  EXPECT_EQ(failing_key("tls=true"), "tls");
  EXPECT_EQ(failing_key("ws=1"), "ws");
}

TEST(Config, IgnoresUnknownItemsOnceAndReportsThem) {
  auto c = config_of("mux=0;loglevel=none;mux=0;fast-open;=x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ignored_items, (std::vector<std::string>{"mux=0", "loglevel=none", "fast-open", "=x"}));
}

TEST(Config, AcceptsTheOriginalsLayerOptionsQuietly) {
  // One option string is shared by both ends: client-only keys on the server are normal.
  auto c = config_of("host=a;path=/;mask=fixed;sni=a;alpn=h2;0rtt;insecure;cert=c;key=k;"
                     "servername=s;ocsp=o", side::server);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->ignored_items.empty());
}

TEST(Config, MatchesKeysExactly) {
  // "threadsx=0" is not "threads": the original's prefix match would have read it.
  auto c = config_of("threadsx=0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ignored_items, std::vector<std::string>{"threadsx=0"});
}

// SPDX-License-Identifier: MIT
// Plain TCP through kaminaric -> kaminaris -> echo server: bytes arrive intact and in
// order for every size, over IPv4 and IPv6, with a named remote and with worker threads.
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

namespace kmr::test {
namespace {

class PlainRelay : public ::testing::Test {
 protected:
  loopback_server echo_;
  tunnel_pair tunnel_{{.remote = echo_.address()}};

  ::testing::AssertionResult echoes(std::size_t size, std::uint64_t seed, clock::duration budget = 20s) {
    return echoes_payload(tunnel_.host(), tunnel_.client_port(), size, seed, after(budget));
  }
};

TEST_F(PlainRelay, EchoesPayload_0B) { EXPECT_TRUE(echoes(0, 1)) << tunnel_.diagnostics(); }

TEST_F(PlainRelay, EchoesPayload_1B) { EXPECT_TRUE(echoes(1, 2)) << tunnel_.diagnostics(); }

TEST_F(PlainRelay, EchoesPayload_64KiB) { EXPECT_TRUE(echoes(64 * 1024, 3)) << tunnel_.diagnostics(); }

TEST_F(PlainRelay, EchoesPayload_64MiB) {
  const auto start = clock::now();
  EXPECT_TRUE(echoes(64 * 1024 * 1024, 4, 120s)) << tunnel_.diagnostics();
  RecordProperty("echo_64MiB_seconds", std::to_string(seconds_since(start)));
}

TEST_F(PlainRelay, EchoesSequentialConnections_Reused) {
  // The same tunnel serves one connection after another (no per-process state leaks).
  for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(echoes(4096 + i, 100 + i)) << "connection " << i;
}

TEST_F(PlainRelay, BannerReportsActualAddresses_Port0) {
  // The "listen: " line carries the bound port, not the 0 asked for; the remote is echoed.
  EXPECT_NE(tunnel_.client_port(), 0);
  const auto remote = tunnel_.server().wait_for_line("remote: ", after(startup_budget));
  ASSERT_TRUE(remote.has_value()) << tunnel_.diagnostics();
  EXPECT_EQ(*remote, echo_.address());
  EXPECT_TRUE(tunnel_.client().wait_for_line("connect: ", after(startup_budget)).has_value()) << tunnel_.diagnostics();
  EXPECT_TRUE(tunnel_.server().wait_for_line("accept: ", after(startup_budget)).has_value()) << tunnel_.diagnostics();
}

TEST(PlainRelayIpv6, EchoesPayload_Ipv6Loopback) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "this machine cannot bind ::1";
  loopback_server echo({.host = "::1"});
  tunnel_pair tunnel({.remote = echo.address(), .host = "::1"});
  EXPECT_EQ(tunnel.client().wait_for_line("listen: ", after(startup_budget)).value_or(""),
            address_text("::1", tunnel.client_port()));
  EXPECT_TRUE(echoes_payload("::1", tunnel.client_port(), 256 * 1024, 5, after(20s))) << tunnel.diagnostics();
}

TEST(PlainRelayResolve, EchoesPayload_LocalhostRemote) {
  // "localhost" is a name: kaminaris must resolve it (to 127.0.0.1 or ::1; the echo server
  // listens on 127.0.0.1, which /etc/hosts always maps localhost to).
  loopback_server echo;
  tunnel_pair tunnel({.remote = "localhost:" + std::to_string(echo.port())});
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 64 * 1024, 6, after(20s))) << tunnel.diagnostics();
}

TEST(PlainRelayThreads, RelaysManyConnections_Threads2) {
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address(), .client_options = "threads=2", .server_options = "threads=2"});
  EXPECT_EQ(tunnel.client().wait_for_line("threads: ", after(startup_budget)).value_or("?"), "2");
  EXPECT_EQ(tunnel.server().wait_for_line("threads: ", after(startup_budget)).value_or("?"), "2");
  EXPECT_TRUE(echoes_concurrently(tunnel.host(), tunnel.client_port(), 200, echo, after(60s))) << tunnel.diagnostics();
  for (std::uint64_t i = 0; i < 4; ++i)
    EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1024 * 1024, 200 + i, after(30s)));
}

TEST(PlainRelayConcurrency, EchoesDistinctPayloads_500Concurrent) {
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address()});
  EXPECT_TRUE(echoes_concurrently(tunnel.host(), tunnel.client_port(), 500, echo, after(90s))) << tunnel.diagnostics();
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// A list of remotes (<remote_addr> as a:1,b:2) with balance= and backoff=: a dead remote
// costs one connection's retry and no failure, roundrobin spreads connections evenly, and
// a server killed mid-run is stepped around without a failed connection.
#include "support/client_loop.hpp"
#include "support/echo_check.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace kmr::test {
namespace {

constexpr std::size_t connections = 20;

// A plain kaminaris on loopback in front of `far_end`, on one thread.
started_binary start_server(const loopback_server& far_end) {
  return start_binary(server_bin, "127.0.0.1:0", far_end.address(), "threads=1");
}

// Two plain kaminaris, each in front of its own echo server, and a kaminaric that has
// both as its remotes.
struct two_servers {
  explicit two_servers(const std::string& client_options)
      : client(start_binary(client_bin, "127.0.0.1:0", server_a.listen + "," + server_b.listen, client_options)) {}

  loopback_server echo_a, echo_b;
  started_binary server_a = start_server(echo_a);
  started_binary server_b = start_server(echo_b);
  started_binary client;
};

::testing::AssertionResult echoes_each(std::uint16_t port, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    auto r = echoes_payload("127.0.0.1", port, 1000 + i, 300 + i, after(20s));
    if (!r) return r << " (connection " << i << ")";
  }
  return ::testing::AssertionSuccess();
}

TEST(RemoteList, Failover_TriesADeadRemoteOnce_WithinTheBackoff) {
  loopback_server echo;
  auto server = start_server(echo);
  const std::string dead = address_text("127.0.0.1", unused_port());
  // The backoff outlasts the test, so that a slow machine cannot make a second try right.
  auto client = start_binary(client_bin, "127.0.0.1:0", dead + "," + server.listen, "threads=1;log=debug;log-connections;backoff=1h");
  const auto diagnostics = [&] { return client.process->diagnostics(); };

  EXPECT_TRUE(echoes_each(client.port, connections)) << diagnostics();
  EXPECT_EQ(echo.accepted(), connections);
  // Each connection says which remote it used; the lines are all written by now, but the
  // drain thread may not have read the last ones yet.
  EXPECT_TRUE(client.process->wait_for_nth_line_containing("remote " + server.listen + " (item 2 of 2)", connections,
                                                           after(10s)))
      << diagnostics();
  EXPECT_TRUE(client.process->wait_for_nth_line_containing("connection ended", connections, after(10s)))
      << diagnostics();
  const std::string log = client.process->stderr_text();
  EXPECT_EQ(count_lines_containing(log, "remote " + dead + " set aside"), 1u) << diagnostics();
  EXPECT_EQ(count_lines_containing(log, "remote " + dead + " ("), 0u) << diagnostics();
  // The first connection's failed try leaves no mark on how it ended, nor on its remote.
  EXPECT_EQ(count_lines_containing(log, "end=completed"), connections) << diagnostics();
  EXPECT_EQ(count_lines_containing(log, "remote=" + server.listen + " "), connections) << diagnostics();
}

TEST(RemoteList, Failover_OnTheServerSide) {
  // kaminaris's own remote may be a list too: the dead one first, then the echo server.
  loopback_server echo;
  tunnel_pair tunnel({.remote = address_text("127.0.0.1", unused_port()) + "," + echo.address(),
                      .server_options = "threads=1"});
  EXPECT_TRUE(echoes_each(tunnel.client_port(), connections)) << tunnel.diagnostics();
  EXPECT_EQ(echo.accepted(), connections);
}

TEST(RemoteList, Roundrobin_SpreadsConnectionsEvenly_OverTwoServers) {
  two_servers t("threads=1;balance=roundrobin");
  EXPECT_TRUE(echoes_each(t.client.port, connections)) << t.client.process->diagnostics();
  EXPECT_EQ(t.echo_a.accepted(), connections / 2);
  EXPECT_EQ(t.echo_b.accepted(), connections / 2);
}

TEST(RemoteList, Roundrobin_OnTheServerSide) {
  loopback_server echo_a, echo_b;
  tunnel_pair tunnel({.remote = echo_a.address() + "," + echo_b.address(),
                      .server_options = "threads=1;balance=roundrobin"});
  EXPECT_TRUE(echoes_each(tunnel.client_port(), connections)) << tunnel.diagnostics();
  EXPECT_EQ(echo_a.accepted(), connections / 2);
  EXPECT_EQ(echo_b.accepted(), connections / 2);
}

TEST(RemoteList, KilledServer_NoConnectionFailsAfterwards) {
  // A short backoff, so that the dead server is tried again (and stepped over) many times.
  two_servers t("threads=2;balance=roundrobin;backoff=100ms");
  client_loop_config load{.port = t.client.port, .max_connections = 400, .max_time = 60s, .pause = 2ms};
  {
    client_loop before(load);
    ASSERT_TRUE(before.wait_ok(50, after(30s))) << before.counts() << "\n" << t.client.process->diagnostics();
    ASSERT_TRUE(t.server_b.process->send_signal(SIGKILL));
    ASSERT_TRUE(t.server_b.process->wait_exit(after(10s)));
    before.finish();  // connections cut by the kill may have failed: not counted
  }
  const auto a_before = t.echo_a.accepted();
  const auto b_before = t.echo_b.accepted();
  load.seed = 2;
  client_loop after_kill(load);
  const loop_counts counts = after_kill.wait_done();
  EXPECT_EQ(counts.failures(), 0u) << counts << "\n" << t.client.process->diagnostics();
  EXPECT_GE(counts.ok, 50u) << counts;
  EXPECT_EQ(t.echo_a.accepted(), a_before + counts.ok);
  EXPECT_EQ(t.echo_b.accepted(), b_before);
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// idle-timeout and half-close-timeout close stale connections on time, and only those.
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace kmr::test {
namespace {

// A 1 s timeout may fire a little late (timer slack, a check interval) but never early.
constexpr double earliest_close = 0.8;
constexpr double latest_close = 3.0;

// Sends a few bytes and reads their echo: proves the connection is open end to end.
::testing::AssertionResult round_trip(int fd, std::uint64_t seed) {
  const auto ping = make_payload(16, seed);
  if (!send_all(fd, ping, after(1s))) return ::testing::AssertionFailure() << "send failed";
  const auto pong = read_exact(fd, ping.size(), after(1s));
  if (!pong) return ::testing::AssertionFailure() << "no echo within 1 s (closed or stalled)";
  if (*pong != ping) return ::testing::AssertionFailure() << "echo differs";
  return ::testing::AssertionSuccess();
}

TEST(IdleTimeout, ClosesIdleConnection_1s) {
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address(), .client_options = "idle-timeout=1", .server_options = "idle-timeout=1"});
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(round_trip(fd.get(), 1)) << tunnel.diagnostics();

  const auto idle_since = clock::now();
  const read_result r = read_to_end(fd.get(), after(6s));
  const double elapsed = seconds_since(idle_since);
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset)
      << "ended by " << to_string(r.end) << "\n" << tunnel.diagnostics();
  EXPECT_GE(elapsed, earliest_close);
  EXPECT_LE(elapsed, latest_close);
  RecordProperty("idle_close_seconds", std::to_string(elapsed));
}

TEST(IdleTimeout, KeepsBusyConnection_1s) {
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address(), .client_options = "idle-timeout=1", .server_options = "idle-timeout=1"});
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  // Traffic every 200 ms for 2 s: the pacing is the behaviour under test, not a wait.
  const auto start = clock::now();
  for (std::uint64_t i = 0; i <= 10; ++i) {
    std::this_thread::sleep_until(start + i * 200ms);
    ASSERT_TRUE(round_trip(fd.get(), 100 + i)) << "exchange " << i << " at " << seconds_since(start) << " s\n"
                                                << tunnel.diagnostics();
  }
}

TEST(HalfCloseTimeout, ClosesSilentRemote_1s) {
  // We shut down our write side; the remote reads our EOF and then neither writes nor
  // closes. Only the half-close timeout can end this connection.
  loopback_server remote({.mode = server_mode::hold_silent});
  tunnel_pair tunnel({.remote = remote.address(),
                      .client_options = "half-close-timeout=1",
                      .server_options = "half-close-timeout=1"});
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(send_all(fd.get(), make_payload(1000, 7), after(5s)));
  ASSERT_TRUE(shutdown_write(fd.get()));
  const auto half_closed_at = clock::now();
  ASSERT_TRUE(remote.wait_records(1, after(2s)).has_value()) << "our EOF never reached the remote\n"
                                                             << tunnel.diagnostics();

  const read_result r = read_to_end(fd.get(), after(6s));
  const double elapsed = seconds_since(half_closed_at);
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset)
      << "ended by " << to_string(r.end) << "\n" << tunnel.diagnostics();
  EXPECT_GE(elapsed, earliest_close);
  EXPECT_LE(elapsed, latest_close);
  RecordProperty("half_close_seconds", std::to_string(elapsed));
}

TEST(HalfCloseTimeout, KeepsHalfOpenConnection_Default60s) {
  // Without the option the linger limit is 60 s: a half-closed connection whose other
  // direction is quiet must survive well past 1 s.
  loopback_server remote({.mode = server_mode::hold_silent});
  tunnel_pair tunnel({.remote = remote.address()});
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(shutdown_write(fd.get()));
  ASSERT_TRUE(remote.wait_records(1, after(2s)).has_value()) << tunnel.diagnostics();
  const read_result r = read_to_end(fd.get(), after(2s));
  EXPECT_EQ(to_string(r.end), std::string("timeout")) << tunnel.diagnostics();
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// drain=DURATION: on SIGTERM the listener closes at once, live connections go on until
// they end or DURATION passes, and the exit (status 0) reports what finished and what
// was cut; a second SIGTERM cuts the rest at once. Without drain=, SIGTERM is immediate.
#include "support/echo_check.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

namespace kmr::test {
namespace {

// From a signal to the reaped child, in seconds.
double seconds_to_exit(const child_process& p, clock::time_point from) {
  return std::chrono::duration<double>(p.reaped_at().value_or(clock::now()) - from).count();
}

// The "drained: ..." line's message, once the child has exited.
std::string drained_line(child_process& p) {
  const auto line = p.wait_for_line_containing("drained: ", after(1s));
  return line ? std::string(info_message(*line)) : "(no \"drained:\" line)";
}

// Opens a connection and proves it relays, so the program counts it as open.
socket_fd open_relayed(std::uint16_t port, std::uint64_t seed) {
  socket_fd fd = connect_tcp("127.0.0.1", port, after(5s));
  EXPECT_TRUE(echoes_on(fd.get(), 10000, seed, after(10s)));
  return fd;
}

TEST(Drain, LiveConnectionFinishes_NewOnesRefused) {
  loopback_server echo;
  for (const auto& path : {server_bin, client_bin}) {
    SCOPED_TRACE(path);
    auto started = start_binary(path, "127.0.0.1:0", echo.address(), "drain=30s");
    child_process& p = *started.process;
    const socket_fd live = open_relayed(started.port, 1);

    ASSERT_TRUE(p.send_signal(SIGTERM));
    const auto draining = p.wait_for_line_containing("draining: ", after(5s));
    ASSERT_TRUE(draining) << p.diagnostics();
    // "1 connection" or "1 connections": either grammar.
    EXPECT_TRUE(info_message(*draining).starts_with("draining: 1 connection open, for up to ")) << *draining;
    EXPECT_TRUE(draining->ends_with(" open, for up to 30s")) << *draining;
    // The listener is closed, on every worker: new connections are refused, not queued.
    for (int i = 0; i < 5; ++i) {
      int error = 0;
      EXPECT_FALSE(try_connect_tcp("127.0.0.1", started.port, after(5s), error)) << "attempt " << i;
      EXPECT_EQ(error, ECONNREFUSED) << "attempt " << i << ": " << std::strerror(error);
    }
    // The live one goes on, then ends cleanly from our side.
    for (std::uint64_t round = 0; round < 5; ++round) {
      EXPECT_TRUE(echoes_on(live.get(), 10000, 10 + round, after(10s))) << p.diagnostics();
      std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(shutdown_write(live.get()));
    const auto end = read_to_end(live.get(), after(10s));
    EXPECT_EQ(end.end, stream_end::eof) << p.diagnostics();
    EXPECT_EQ(end.received.bytes, 0u);
    const auto closed = clock::now();

    const auto status = p.wait_exit(after(40s));
    ASSERT_TRUE(status) << p.diagnostics();
    EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
    // It leaves when the last connection ends, not when the 30 s are over.
    EXPECT_LT(seconds_to_exit(p, closed), 15.0) << p.diagnostics();
    EXPECT_EQ(drained_line(p), "drained: 1 open at start, 1 finished, 0 cut") << p.diagnostics();
  }
}

TEST(Drain, CutsIdleConnection_WhenDurationPasses) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "drain=1s");
  child_process& p = *started.process;
  const socket_fd idle = open_relayed(started.port, 1);

  const auto sent = clock::now();
  ASSERT_TRUE(p.send_signal(SIGTERM));
  const auto status = p.wait_exit(after(20s));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  // A timer cannot fire early, so the lower bound is safe; the upper one is loose.
  EXPECT_GE(seconds_to_exit(p, sent), 0.9) << "it did not wait for the drain";
  EXPECT_LT(seconds_to_exit(p, sent), 10.0);
  EXPECT_EQ(drained_line(p), "drained: 1 open at start, 0 finished, 1 cut") << p.diagnostics();
  EXPECT_NE(read_to_end(idle.get(), after(5s)).end, stream_end::timeout) << "the cut connection stayed open";
}

TEST(Drain, SecondSigtermExitsAtOnce_CutsTheRest) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "drain=30s");
  child_process& p = *started.process;
  const socket_fd first = open_relayed(started.port, 1), second = open_relayed(started.port, 2);

  ASSERT_TRUE(p.send_signal(SIGTERM));
  const auto draining = p.wait_for_line_containing("draining: ", after(5s));
  ASSERT_TRUE(draining) << p.diagnostics();
  EXPECT_TRUE(info_message(*draining).starts_with("draining: 2 connections open")) << *draining;
  EXPECT_TRUE(echoes_on(first.get(), 1000, 3, after(10s))) << "the drain cut a live connection";

  const auto again = clock::now();
  ASSERT_TRUE(p.send_signal(SIGTERM));
  const auto status = p.wait_exit(after(45s));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  EXPECT_LT(seconds_to_exit(p, again), 10.0) << "the second SIGTERM did not end the 30 s drain";
  EXPECT_EQ(drained_line(p), "drained: 2 open at start, 0 finished, 2 cut") << p.diagnostics();
  for (const auto* c : {&first, &second})
    EXPECT_NE(read_to_end(c->get(), after(5s)).end, stream_end::timeout) << "a cut connection stayed open";
}

TEST(Drain, ExitsAtOnce_NoConnectionOpen) {
  auto started = start_binary(server_bin, "127.0.0.1:0", address_text("127.0.0.1", unused_port()), "drain=30s");
  child_process& p = *started.process;
  const auto sent = clock::now();
  ASSERT_TRUE(p.send_signal(SIGTERM));
  const auto status = p.wait_exit(after(45s));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  EXPECT_LT(seconds_to_exit(p, sent), 10.0) << "nothing to drain, yet it waited";
  const auto draining = p.wait_for_line_containing("draining: ", after(1s));
  ASSERT_TRUE(draining) << p.diagnostics();
  EXPECT_EQ(info_message(*draining), "draining: 0 connections open, for up to 30s");
  EXPECT_EQ(drained_line(p), "drained: 0 open at start, 0 finished, 0 cut") << p.diagnostics();
}

// A guard for the default: no drain= means no grace, as SIP003 hosts need. (This one
// passes before drain= exists, too.)
TEST(Drain, SigtermCutsAtOnce_WithoutDrainOption) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "");
  child_process& p = *started.process;
  const socket_fd live = open_relayed(started.port, 1);
  const auto sent = clock::now();
  const auto status = p.terminate(after(10s));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  EXPECT_LT(seconds_to_exit(p, sent), 5.0);
  EXPECT_EQ(count_lines_containing(p.stderr_text(), "draining: "), 0u) << p.diagnostics();
  EXPECT_NE(read_to_end(live.get(), after(5s)).end, stream_end::timeout);
}

}  // namespace
}  // namespace kmr::test

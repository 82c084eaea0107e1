// SPDX-License-Identifier: MIT
// A hitless upgrade: a new kaminaris starts on the port of the running one (both set
// SO_REUSEPORT), then the old one gets SIGTERM with drain= and finishes its connections;
// no connection is refused or reset at any point. Connections queued at the closing
// listener survive only with net.ipv4.tcp_migrate_req=1, so the test runs in a network
// namespace of its own where it may set that.
#include "support/client_loop.hpp"
#include "support/echo_check.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/private_network.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <iostream>
#include <thread>

namespace kmr::test {
namespace {

TEST(Handover, NoConnectionRefusedOrReset_SigtermOldWithDrain) {
  // First, before any thread or socket: everything below lives in this namespace.
  private_network network;
  if (!network.entered()) GTEST_SKIP() << "needs a private network namespace: " << network.reason();
  raise_open_file_limit(4096);

  loopback_server echo;
  auto old_one = start_binary(server_bin, "127.0.0.1:0", echo.address(), "drain=20s");
  const std::uint16_t port = old_one.port;
  // 64 MiB at 10 MiB/s: through the old instance from before the handover to well after.
  auto long_transfer = std::async(std::launch::async, [port] {
    return echoes_paced("127.0.0.1", port, 64 << 20, 1, 10 << 20, after(120s));
  });
  // About a thousand connections a second, over all of the handover and after it.
  client_loop loop({.port = port, .threads = 2, .max_connections = 50000, .max_time = 60s, .pause = 2ms, .seed = 2});
  ASSERT_TRUE(loop.wait_ok(20, after(10s))) << loop.counts() << "\n" << old_one.process->diagnostics();
  std::this_thread::sleep_for(2s);

  auto new_one = start_binary(server_bin, address_text("127.0.0.1", port), echo.address(), "drain=20s");
  EXPECT_EQ(new_one.port, port);
  ASSERT_TRUE(old_one.process->send_signal(SIGTERM));
  const auto draining = old_one.process->wait_for_line_containing("draining: ", after(5s));
  EXPECT_TRUE(draining) << old_one.process->diagnostics();

  // The old one leaves once the long transfer and its last short connections are done.
  const auto status = old_one.process->wait_exit(after(40s));
  const std::size_t ok_when_old_left = loop.counts().ok;
  ASSERT_TRUE(status) << old_one.process->diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << old_one.process->diagnostics();
  const auto drained = old_one.process->wait_for_line_containing("drained: ", after(1s));
  EXPECT_TRUE(drained) << old_one.process->diagnostics();
  if (drained) {
    EXPECT_TRUE(info_message(*drained).ends_with(", 0 cut")) << *drained;
  }

  // The new one alone serves from here.
  EXPECT_TRUE(loop.wait_ok(ok_when_old_left + 50, after(20s))) << loop.counts() << "\n"
                                                                 << new_one.process->diagnostics();
  const loop_counts counts = loop.finish();
  // The figure for the record (docs/operations.md, the closing notes): how many
  // connections crossed the hand-over, and how many failed.
  std::cout << "handover: " << counts << " (" << ok_when_old_left << " before the old instance exited)" << std::endl;
  EXPECT_EQ(counts.failures(), 0u) << counts << "\n--- old\n"
                                   << old_one.process->diagnostics() << "\n--- new\n"
                                   << new_one.process->diagnostics();
  EXPECT_TRUE(long_transfer.get()) << old_one.process->diagnostics();
  EXPECT_TRUE(echoes_payload("127.0.0.1", port, 1 << 20, 3, after(30s))) << new_one.process->diagnostics();
  const auto new_status = new_one.process->terminate(after(startup_budget));
  ASSERT_TRUE(new_status) << new_one.process->diagnostics();
  EXPECT_TRUE(new_status->exited_with(0)) << new_one.process->diagnostics();
}

}  // namespace
}  // namespace kmr::test

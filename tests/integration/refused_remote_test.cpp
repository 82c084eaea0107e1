// SPDX-License-Identifier: MIT
// A remote that refuses connections: the app's connection is closed promptly (not left
// hanging), and the binary keeps serving.
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

namespace kmr::test {
namespace {

// Connects and returns how long the tunnel took to close the connection; fails the
// test if it stays open for 3 s.
double seconds_until_closed(std::uint16_t port, const std::string& diagnostics_on_failure) {
  const socket_fd fd = connect_tcp("127.0.0.1", port, after(5s));
  const auto start = clock::now();
  const read_result r = read_to_end(fd.get(), after(3s));
  const double elapsed = seconds_since(start);
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset)
      << "ended by " << to_string(r.end) << "\n" << diagnostics_on_failure;
  EXPECT_EQ(r.received.bytes, 0U);
  return elapsed;
}

TEST(RefusedRemote, ClosesClientConnection_Within1s) {
  // kaminaric itself cannot reach its remote.
  auto client = start_binary(client_bin, "127.0.0.1:0", address_text("127.0.0.1", unused_port()), "");
  for (int i = 0; i < 3; ++i) {
    const double s = seconds_until_closed(client.port, client.process->diagnostics());
    EXPECT_LT(s, 1.0) << "attempt " << i;
  }
  EXPECT_FALSE(client.process->wait_exit(after(0s)).has_value()) << "kaminaric exited\n" << client.process->diagnostics();
}

TEST(RefusedRemote, ClosesClientConnection_Within1s_BehindServer) {
  // kaminaris cannot reach the remote: its close must travel back through kaminaric.
  tunnel_pair tunnel({.remote = address_text("127.0.0.1", unused_port())});
  for (int i = 0; i < 3; ++i) {
    const double s = seconds_until_closed(tunnel.client_port(), tunnel.diagnostics());
    EXPECT_LT(s, 1.0) << "attempt " << i;
  }
  EXPECT_FALSE(tunnel.server().wait_exit(after(0s)).has_value()) << tunnel.diagnostics();
  EXPECT_FALSE(tunnel.client().wait_exit(after(0s)).has_value()) << tunnel.diagnostics();
}

}  // namespace
}  // namespace kmr::test

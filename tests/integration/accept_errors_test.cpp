// SPDX-License-Identifier: MIT
// The accept loop survives descriptor exhaustion (EMFILE): it logs, backs off and goes on
// serving once descriptors are free again. The original kaminari exits here (kaminari #6).
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kmr::test {
namespace {

// Low enough that a few dozen connections exhaust it, high enough to start up.
constexpr int descriptor_limit = 40;
constexpr int held_connections = 60;

bool stderr_contains(child_process& p, std::string_view text, deadline d) {
  while (clock::now() < d) {
    if (p.stderr_text().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(AcceptErrors, KeepsServing_AfterDescriptorExhaustion) {
  loopback_server echo;
  auto server = start_binary(server_bin, "127.0.0.1:0", echo.address(), "");
  // prlimit caps the hard limit too, so the binary cannot raise its way out of it. A
  // max-connections far above what the limit holds lets accept() itself fail, as it does
  // when a user sets the cap too high: that path must keep serving too. (The default cap
  // refuses connections before this point: connection_limit_test.cpp.)
  auto limited = std::make_unique<child_process>(
      "/usr/bin/prlimit",
      std::vector<std::string>{"--nofile=" + std::to_string(descriptor_limit) + ":" +
                                   std::to_string(descriptor_limit),
                               client_bin, "127.0.0.1:0", server.listen, "threads=1;max-connections=100000"});
  auto client = await_listening(std::move(limited));

  std::vector<socket_fd> held;
  for (int i = 0; i < held_connections; ++i) {
    // The kernel completes these handshakes from the backlog even when the process
    // cannot accept them.
    held.push_back(connect_tcp("127.0.0.1", client.port, after(5s)));
    const std::uint8_t one = 1;
    ASSERT_TRUE(send_all(held.back().get(), {&one, 1}, after(5s)));
  }
  ASSERT_TRUE(stderr_contains(*client.process, "accept failed", after(10s)))
      << "expected an EMFILE report\n" << client.process->diagnostics();

  held.clear();  // frees the descriptors
  EXPECT_TRUE(echoes_payload("127.0.0.1", client.port, 64 * 1024, 7, after(20s)))
      << client.process->diagnostics();
  EXPECT_FALSE(client.process->wait_exit(after(0s)).has_value())
      << "kaminaric exited\n" << client.process->diagnostics();
}

}  // namespace
}  // namespace kmr::test

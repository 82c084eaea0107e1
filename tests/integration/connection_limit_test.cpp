// SPDX-License-Identifier: MIT
// max-connections: one connection past the cap is refused at once (a reset, no byte
// relayed), counted, and warned about; a slot given back serves the next client; and by
// default the cap keeps a process under a small descriptor limit from ever failing accept().
#include "support/http_get.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kmr::test {
namespace {

const std::vector<std::uint8_t> ping = {'p', 'i', 'n', 'g'};

// A connection through which the echo server answered: it holds a slot.
std::optional<socket_fd> open_echoing(std::uint16_t port) {
  socket_fd fd = connect_tcp("127.0.0.1", port, after(5s));
  if (!send_all(fd.get(), ping, after(5s))) return std::nullopt;
  const auto back = read_exact(fd.get(), ping.size(), after(5s));
  if (!back || *back != ping) return std::nullopt;
  return fd;
}

// A connection closed by the server without a byte: refused.
bool refused(std::uint16_t port) {
  socket_fd fd = connect_tcp("127.0.0.1", port, after(5s));
  send_all(fd.get(), ping, after(5s));  // may fail: the reset can come first
  const read_result r = read_to_end(fd.get(), after(5s));
  return (r.end == stream_end::reset || r.end == stream_end::eof) && r.received.bytes == 0;
}

TEST(MaxConnections, OnePastTheCapIsRefusedAtOnce_ASlotGivenBackServesTheNext) {
  loopback_server echo;
  auto server = start_binary(server_bin, "127.0.0.1:0", echo.address(), "max-connections=3;metrics=127.0.0.1:0");
  ASSERT_TRUE(server.process->wait_for_line_containing("max connections: 3", after(5s)))
      << server.process->diagnostics();
  std::vector<socket_fd> held;
  for (int i = 0; i < 3; ++i) {
    auto fd = open_echoing(server.port);
    ASSERT_TRUE(fd) << "connection " << i << "\n" << server.process->diagnostics();
    held.push_back(std::move(*fd));
  }
  EXPECT_TRUE(refused(server.port)) << server.process->diagnostics();
  EXPECT_EQ(echo.accepted(), 3u);
  EXPECT_TRUE(server.process->wait_for_line_containing("(max-connections); refusing new ones", after(5s)))
      << server.process->diagnostics();

  // One ends; once the server has seen it end, its slot serves a new client.
  shutdown_write(held.back().get());
  read_to_end(held.back().get(), after(5s));
  held.pop_back();
  std::optional<socket_fd> next;
  for (int attempt = 0; attempt < 50 && !next; ++attempt) {  // the session's end may lag the close
    next = open_echoing(server.port);
    if (!next) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(next) << server.process->diagnostics();

  const auto metrics_line = server.process->wait_for_line_containing("metrics: http://", after(5s));
  ASSERT_TRUE(metrics_line);
  const auto reply = http_get("127.0.0.1", metrics_port_of(*metrics_line), "/metrics", after(5s));
  ASSERT_TRUE(reply);
  const auto refusals = sample_value(
      reply->body, "kaminari_connections_ended_total{side=\"server\",transport=\"tcp\",reason=\"refused\"}");
  EXPECT_GE(refusals.value_or(0), 1.0) << reply->body;
}

TEST(MaxConnections, UnderASmallDescriptorLimitAcceptNeverFails) {
  // 96 descriptors, hard limit too: the default cap must leave room for every splice pipe.
  loopback_server echo;
  auto server = await_listening(std::make_unique<child_process>(
      "/usr/bin/prlimit",
      std::vector<std::string>{"--nofile=96:96", server_bin, "127.0.0.1:0", echo.address(), "threads=1"}));
  const auto banner = server.process->wait_for_line_containing("max connections: ", after(5s));
  ASSERT_TRUE(banner) << server.process->diagnostics();
  EXPECT_NE(banner->find("from the descriptor limit, 96"), std::string::npos) << *banner;

  std::vector<socket_fd> held;
  int refusals = 0;
  for (int i = 0; i < 60; ++i) {  // 120 sockets alone would pass the limit
    if (auto fd = open_echoing(server.port)) {
      held.push_back(std::move(*fd));
    } else {
      ++refusals;
    }
  }
  // Every one was served whole or refused cleanly; none hit the descriptor limit.
  EXPECT_GT(held.size(), 0u);
  EXPECT_GT(refusals, 0);
  EXPECT_EQ(held.size() + static_cast<std::size_t>(refusals), 60u);
  // Traffic on every held connection, both ways at once (pipes in use everywhere).
  for (auto& fd : held) EXPECT_TRUE(send_all(fd.get(), ping, after(5s)));
  for (auto& fd : held) {
    const auto back = read_exact(fd.get(), ping.size(), after(5s));
    EXPECT_TRUE(back && *back == ping) << server.process->diagnostics();
  }
  const std::string log = server.process->stderr_text();
  EXPECT_EQ(count_lines_containing(log, "accept failed"), 0u) << log;
  EXPECT_EQ(count_lines_containing(log, "Too many open files"), 0u) << log;
}

}  // namespace
}  // namespace kmr::test

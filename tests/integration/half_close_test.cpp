// SPDX-License-Identifier: MIT
// Half-close crosses the tunnel in both directions: after one side shuts down its write
// side, the other direction still carries every byte.
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

namespace kmr::test {
namespace {

constexpr std::size_t reply_size = 1536 * 1024;  // more than the socket buffers hold

TEST(HalfClose, ReplyArrivesAfterClientShutdown_1536KiB) {
  // The server starts its reply only after it sees our EOF, so the whole reply flows
  // through a half-closed tunnel connection.
  loopback_server remote({.mode = server_mode::read_then_reply, .reply_bytes = reply_size, .reply_seed = 11});
  tunnel_pair tunnel({.remote = remote.address()});
  const auto request = make_payload(10 * 1024, 12);

  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(send_all(fd.get(), request, after(10s)));
  ASSERT_TRUE(shutdown_write(fd.get()));
  const read_result reply = read_to_end(fd.get(), after(30s));

  EXPECT_EQ(to_string(reply.end), std::string("eof")) << tunnel.diagnostics();
  EXPECT_EQ(reply.received, digest_of(make_payload(reply_size, 11))) << tunnel.diagnostics();
  const auto records = remote.wait_records(1, after(10s));
  ASSERT_TRUE(records.has_value()) << "the remote never saw the request's EOF\n" << tunnel.diagnostics();
  EXPECT_TRUE(records->front().clean_eof);
  EXPECT_EQ(records->front().received, digest_of(request));
}

TEST(HalfClose, ClientStillSendsAfterRemoteShutdown_1536KiBDown_2MiBUp) {
  // The remote replies and shuts down its write side first while it keeps reading: we
  // see EOF, and what we send afterwards must still reach it whole.
  loopback_server remote({.mode = server_mode::reply_then_read, .reply_bytes = reply_size, .reply_seed = 21});
  tunnel_pair tunnel({.remote = remote.address()});

  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const read_result reply = read_to_end(fd.get(), after(30s));
  ASSERT_EQ(to_string(reply.end), std::string("eof")) << tunnel.diagnostics();
  EXPECT_EQ(reply.received, digest_of(make_payload(reply_size, 21)));

  const auto upload = make_payload(2 * 1024 * 1024, 22);
  ASSERT_TRUE(send_all(fd.get(), upload, after(30s))) << tunnel.diagnostics();
  ASSERT_TRUE(shutdown_write(fd.get()));
  const auto records = remote.wait_records(1, after(30s));
  ASSERT_TRUE(records.has_value()) << "the remote never saw our EOF\n" << tunnel.diagnostics();
  EXPECT_TRUE(records->front().clean_eof);
  EXPECT_EQ(records->front().received, digest_of(upload)) << tunnel.diagnostics();
}

TEST(HalfClose, EchoCompletesAfterClientShutdown_4MiB) {
  // The echo server answers our EOF with its own once it has echoed everything: no byte
  // in flight may be dropped when the first FIN passes the tunnel.
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address()});
  const auto payload = make_payload(4 * 1024 * 1024, 31);
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const exchange_result r = exchange(fd.get(), payload, after(30s));
  EXPECT_TRUE(r.sent);
  EXPECT_EQ(to_string(r.reply.end), std::string("eof")) << tunnel.diagnostics();
  EXPECT_EQ(r.reply.received, digest_of(payload));
}

}  // namespace
}  // namespace kmr::test

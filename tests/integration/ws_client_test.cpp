// SPDX-License-Identifier: MIT
// kaminaric's WebSocket side against a hand-made server: the exact upgrade request, no
// payload before the 101, a lenient reading of the 101, and bytes coalesced with it.
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"
#include "support/ws_raw.hpp"
#include "ws/handshake.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <regex>

namespace kmr::test {
namespace {

socket_fd accept_one(int listener, deadline d) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, poll_timeout_ms(d)) != 1) return socket_fd{};
  return socket_fd(::accept(listener, nullptr, nullptr));
}

std::string key_of(const std::string& head) {
  std::smatch m;
  std::regex_search(head, m, std::regex("sec-websocket-key: ([A-Za-z0-9+/=]+)\r\n"));
  return m.size() > 1 ? m[1].str() : "";
}

struct WsClient : ::testing::Test {
  socket_fd listener = listen_on("127.0.0.1");
  started_binary client = start_binary(client_bin, "127.0.0.1:0", address_text("127.0.0.1", local_port(listener.get())),
                                       "ws;host=example.com;path=/ws");
};

TEST_F(WsClient, SendsOriginalRequest_NoPayloadBefore101_KeepsCoalescedFrame) {
  const socket_fd app = connect_tcp("127.0.0.1", client.port, after(5s));
  const auto upload = make_payload(4000, 1);
  ASSERT_TRUE(send_all(app.get(), upload, after(5s)));  // before the tunnel is even up

  const socket_fd server = accept_one(listener.get(), after(5s));
  ASSERT_TRUE(server) << client.process->diagnostics();
  std::vector<std::uint8_t> surplus;
  const auto head = read_http_head(server.get(), surplus, after(5s));
  ASSERT_TRUE(head);
  // Byte for byte the original's request (kaminari-wire §5.1), with a fresh key.
  const std::string key = key_of(*head);
  ASSERT_EQ(key.size(), 24u) << *head;
  EXPECT_EQ(*head, ws::client_request("example.com", "/ws", key));
  EXPECT_EQ(head->size(), 152u);
  // Nothing may follow the request until the 101 is sent.
  EXPECT_TRUE(surplus.empty());
  EXPECT_FALSE(wait_readable(server.get(), after(300ms))) << "payload sent before the 101";

  // A 101 in unusual case and order, with the first frame in the same write.
  const auto download = make_payload(3000, 2);
  std::string reply = "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + ws::accept_key(key) +
                      "\r\nCONNECTION: keep-alive, Upgrade\r\nServer: test\r\nUpgrade: WebSocket\r\n\r\n";
  std::vector<std::uint8_t> wire(reply.begin(), reply.end());
  const auto frame = make_frame(ws::opcode::binary, download);
  wire.insert(wire.end(), frame.begin(), frame.end());
  ASSERT_TRUE(send_all(server.get(), wire, after(5s)));

  EXPECT_EQ(read_exact(app.get(), download.size(), after(10s)), download) << client.process->diagnostics();
  std::vector<received_frame> controls;
  EXPECT_EQ(read_data(server.get(), surplus, upload.size(), controls, after(10s)), upload);
}

TEST_F(WsClient, MasksWithZeroKey_ByDefault) {
  const socket_fd app = connect_tcp("127.0.0.1", client.port, after(5s));
  const socket_fd server = accept_one(listener.get(), after(5s));
  ASSERT_TRUE(server);
  std::vector<std::uint8_t> surplus;
  const auto head = read_http_head(server.get(), surplus, after(5s));
  ASSERT_TRUE(head);
  const std::string reply = ws::server_response(ws::accept_key(key_of(*head)));
  ASSERT_TRUE(send_all(server.get(), {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, after(5s)));
  const std::vector<std::uint8_t> hello{'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(send_all(app.get(), hello, after(5s)));
  // kaminari-wire §14.3: 82 85 00 00 00 00 68 65 6c 6c 6f
  EXPECT_EQ(read_exact(server.get(), 11, after(5s)),
            (std::vector<std::uint8_t>{0x82, 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}));
}

TEST_F(WsClient, ClosesApplicationConnection_OnBadAccept) {
  const socket_fd app = connect_tcp("127.0.0.1", client.port, after(5s));
  const socket_fd server = accept_one(listener.get(), after(5s));
  ASSERT_TRUE(server);
  std::vector<std::uint8_t> surplus;
  ASSERT_TRUE(read_http_head(server.get(), surplus, after(5s)));
  const std::string reply = ws::server_response("AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  ASSERT_TRUE(send_all(server.get(), {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, after(5s)));
  const auto r = read_to_end(app.get(), after(5s));
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset) << to_string(r.end);
  EXPECT_EQ(r.received.bytes, 0u);
}

TEST_F(WsClient, ClosesApplicationConnection_OnHttpError) {
  const socket_fd app = connect_tcp("127.0.0.1", client.port, after(5s));
  const socket_fd server = accept_one(listener.get(), after(5s));
  ASSERT_TRUE(server);
  std::vector<std::uint8_t> surplus;
  ASSERT_TRUE(read_http_head(server.get(), surplus, after(5s)));
  const std::string reply = ws::error_response(404);
  ASSERT_TRUE(send_all(server.get(), {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, after(5s)));
  const auto r = read_to_end(app.get(), after(5s));
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset) << to_string(r.end);
  EXPECT_EQ(r.received.bytes, 0u);
}

}  // namespace
}  // namespace kmr::test

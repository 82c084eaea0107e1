// SPDX-License-Identifier: MIT
// kaminaris's WebSocket side, driven by a hand-made client: what it accepts, what it
// refuses (never relayed), and how it treats frames a kaminaric would never send.
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"
#include "support/ws_raw.hpp"
#include "ws/handshake.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace kmr::test {
namespace {

const std::string ws_options = "ws;host=example.com;path=/ws";

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

struct WsServer : ::testing::Test {
  loopback_server remote;  // echo
  started_binary server = start_binary(server_bin, "127.0.0.1:0", remote.address(), ws_options + ";handshake-timeout=1");

  socket_fd connect() { return connect_tcp("127.0.0.1", server.port, after(5s)); }

  // Sends `request` and returns the response head, or "" if the server closed first.
  std::string response_to(const std::string& request, std::vector<std::uint8_t>& surplus) {
    const socket_fd fd = connect();
    EXPECT_TRUE(send_all(fd.get(), bytes_of(request), after(5s)));
    return read_http_head(fd.get(), surplus, after(5s)).value_or("");
  }
};

std::string upgrade(const std::string& host, const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

TEST_F(WsServer, AcceptsLenientUpgrade_CdnStyleHeaders) {
  std::string extra;
  for (int i = 0; i < 60; ++i) extra += "X-Cdn-Header-" + std::to_string(i) + ": value\r\n";
  std::vector<std::uint8_t> surplus;
  const auto head = response_to(
      "GET /ws?ed=2048 HTTP/1.1\r\nhost: EXAMPLE.com:443\r\nupgrade: WebSocket\r\n"
      "connection: keep-alive, Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "sec-websocket-version: 13\r\n" + extra + "\r\n", surplus);
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
}

TEST_F(WsServer, RefusesWrongPath_404_NeverRelayed) {
  std::vector<std::uint8_t> surplus;
  EXPECT_EQ(response_to(upgrade("example.com", "/other"), surplus).rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(response_to(upgrade("other.com", "/ws"), surplus).rfind("HTTP/1.1 4", 0), 0u);
  EXPECT_EQ(response_to("GET /ws HTTP/1.0\r\nHost: example.com\r\n\r\n", surplus).rfind("HTTP/1.1 ", 0), 0u);
  EXPECT_EQ(response_to("POST /ws HTTP/1.1\r\nHost: example.com\r\n\r\n", surplus).rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(response_to(upgrade("example.com", "/ws", "Sec-WebSocket-Key: again\r\n"), surplus).rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(response_to("\x16\x03\x01 garbage\r\n\r\n", surplus).rfind("HTTP/1.1 400", 0), 0u);
  std::string huge = "GET /ws HTTP/1.1\r\nHost: example.com\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(response_to(huge, surplus).rfind("HTTP/1.1 431", 0), 0u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(remote.accepted(), 0u) << "a refused request reached the remote\n" << server.process->diagnostics();
}

TEST_F(WsServer, ClosesSilentClient_AfterHandshakeTimeout) {
  const socket_fd fd = connect();
  const std::string partial = "GET /ws HTTP/1.1\r\nHost: exa";
  ASSERT_TRUE(send_all(fd.get(), bytes_of(partial), after(5s)));
  const auto start = clock::now();
  const auto r = read_to_end(fd.get(), after(5s));
  EXPECT_NE(to_string(r.end), std::string("timeout")) << server.process->diagnostics();
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_EQ(remote.accepted(), 0u);
}

TEST_F(WsServer, KeepsBytesAfterUpgrade_PipelinedFrame) {
  // The request and the first frame in one write: the original drops the frame (§5.5).
  const socket_fd fd = connect();
  const auto payload = make_payload(3000, 5);
  auto bytes = bytes_of(upgrade("example.com", "/ws"));
  const auto frame = make_frame(ws::opcode::binary, payload, ws::mask_key{});
  bytes.insert(bytes.end(), frame.begin(), frame.end());
  ASSERT_TRUE(send_all(fd.get(), bytes, after(5s)));
  std::vector<std::uint8_t> surplus;
  const auto head = read_http_head(fd.get(), surplus, after(5s));
  ASSERT_TRUE(head && head->rfind("HTTP/1.1 101", 0) == 0) << head.value_or("(closed)");
  std::vector<received_frame> controls;
  EXPECT_EQ(read_data(fd.get(), surplus, payload.size(), controls, after(10s)), payload);
}

TEST_F(WsServer, AnswersPing_AcceptsFragmentsAnd64BitLengths) {
  const socket_fd fd = connect();
  ASSERT_TRUE(send_all(fd.get(), bytes_of(upgrade("example.com", "/ws")), after(5s)));
  std::vector<std::uint8_t> surplus;
  ASSERT_TRUE(read_http_head(fd.get(), surplus, after(5s)));

  const ws::mask_key key{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};
  const auto part1 = make_payload(1001, 1), part2 = make_payload(70000, 2);  // 70000: 64-bit length
  std::vector<std::uint8_t> wire;
  for (const auto& f : {make_frame(ws::opcode::binary, part1, key, false),
                        make_frame(ws::opcode::ping, {'h', 'i'}, key),
                        make_frame(ws::opcode::continuation, part2, key, true),
                        make_frame(ws::opcode::pong, {}, key)})
    wire.insert(wire.end(), f.begin(), f.end());
  // Odd-sized writes split masked payloads at odd offsets (the original's defect §5.11).
  for (std::size_t at = 0; at < wire.size(); at += 777) {
    const std::size_t n = std::min<std::size_t>(777, wire.size() - at);
    ASSERT_TRUE(send_all(fd.get(), {wire.data() + at, n}, after(5s)));
  }
  std::vector<received_frame> controls;
  auto echoed = read_data(fd.get(), surplus, part1.size() + part2.size(), controls, after(10s));
  ASSERT_TRUE(echoed) << server.process->diagnostics();
  auto expected = part1;
  expected.insert(expected.end(), part2.begin(), part2.end());
  EXPECT_EQ(*echoed, expected);
  ASSERT_EQ(controls.size(), 1u);
  EXPECT_EQ(controls[0].op, ws::opcode::pong);
  EXPECT_EQ(controls[0].payload, (std::vector<std::uint8_t>{'h', 'i'}));
}

TEST_F(WsServer, ClosesConnection_OnTextFrame) {
  const socket_fd fd = connect();
  ASSERT_TRUE(send_all(fd.get(), bytes_of(upgrade("example.com", "/ws")), after(5s)));
  std::vector<std::uint8_t> surplus;
  ASSERT_TRUE(read_http_head(fd.get(), surplus, after(5s)));
  ASSERT_TRUE(send_all(fd.get(), make_frame(ws::opcode::text, {'x'}, ws::mask_key{}), after(5s)));
  const auto r = read_to_end(fd.get(), after(5s));
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset) << to_string(r.end);
}

TEST_F(WsServer, TreatsCloseFrameAsEndOfStream) {
  const socket_fd fd = connect();
  ASSERT_TRUE(send_all(fd.get(), bytes_of(upgrade("example.com", "/ws")), after(5s)));
  std::vector<std::uint8_t> surplus;
  ASSERT_TRUE(read_http_head(fd.get(), surplus, after(5s)));
  const auto payload = make_payload(5000, 9);
  auto wire = make_frame(ws::opcode::binary, payload, ws::mask_key{});
  const auto close = make_frame(ws::opcode::close, {0x03, 0xe8}, ws::mask_key{});
  wire.insert(wire.end(), close.begin(), close.end());
  ASSERT_TRUE(send_all(fd.get(), wire, after(5s)));
  // The echo server sees the end of stream, echoes and closes its side: we get the data.
  std::vector<received_frame> controls;
  EXPECT_EQ(read_data(fd.get(), surplus, payload.size(), controls, after(10s)), payload);
  const auto records = remote.wait_records(1, after(5s));
  ASSERT_TRUE(records) << server.process->diagnostics();
  EXPECT_TRUE(records->front().clean_eof);
}

TEST(WsServerFallback, HandsRefusedRequestToFallback) {
  loopback_server remote;
  loopback_server site({.mode = server_mode::read_then_reply, .reply_bytes = 777, .reply_seed = 3});
  auto server = start_binary(server_bin, "127.0.0.1:0", remote.address(),
                             ws_options + ";fallback=" + site.address());
  const socket_fd fd = connect_tcp("127.0.0.1", server.port, after(5s));
  const auto request = bytes_of("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_TRUE(send_all(fd.get(), request, after(5s)));
  ASSERT_TRUE(shutdown_write(fd.get()));
  const auto reply = read_to_end(fd.get(), after(10s));
  EXPECT_EQ(reply.received, digest_of(make_payload(777, 3))) << server.process->diagnostics();
  const auto records = site.wait_records(1, after(5s));
  ASSERT_TRUE(records);
  EXPECT_EQ(records->front().received, digest_of(request));  // bytes already read come first
  EXPECT_EQ(remote.accepted(), 0u);
}

}  // namespace
}  // namespace kmr::test

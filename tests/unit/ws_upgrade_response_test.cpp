// SPDX-License-Identifier: MIT
#include "ws/handshake.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using kmr::ws::accept_key;
using kmr::ws::parse_status;
using kmr::ws::parse_upgrade_response;
using kmr::ws::response_result;
using kmr::ws::server_response;
using namespace std::string_literals;

namespace {

constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455 §1.3

response_result parse(std::string_view bytes) {
  return parse_upgrade_response(bytes, sample_accept);
}

void expect_ok(std::string_view bytes) {
  const response_result r = parse(bytes);
  EXPECT_EQ(r.status, parse_status::ok) << r.reason << "\n" << bytes;
}

void expect_reject(std::string_view bytes, std::string_view reason_part) {
  const response_result r = parse(bytes);
  EXPECT_EQ(r.status, parse_status::reject) << bytes;
  EXPECT_NE(r.reason.find(reason_part), std::string::npos) << r.reason;
}

}  // namespace

TEST(WsUpgradeResponse, AcceptsTheOriginal129Bytes) {
  const std::string r = server_response(accept_key("dGhlIHNhbXBsZSBub25jZQ=="));
  ASSERT_EQ(r.size(), 129u);
  const response_result got = parse(r);
  ASSERT_EQ(got.status, parse_status::ok) << got.reason;
  EXPECT_EQ(got.header_size, 129u);
}

TEST(WsUpgradeResponse, NeedsMoreAtEveryStrictPrefix) {
  const std::string r = server_response(sample_accept);
  for (std::size_t n = 0; n < r.size(); ++n)
    ASSERT_EQ(parse(std::string_view(r).substr(0, n)).status, parse_status::need_more) << n;
}

TEST(WsUpgradeResponse, LeavesFollowingBytesToTheCaller) {
  // The server's first frame may share a read (or TLS record) with the 101: kaminari-wire
  // §5.5 says the original drops it; we must not.
  const std::string r = server_response(sample_accept);
  const std::string bytes = r + "\x82\x05hello"s;
  const response_result got = parse(bytes);
  ASSERT_EQ(got.status, parse_status::ok);
  EXPECT_EQ(bytes.substr(got.header_size), "\x82\x05hello"s);
}

TEST(WsUpgradeResponse, AcceptsAnyCaseOrderAndReason) {
  expect_ok(
      "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
      "Server: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
      "Connection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n");
  expect_ok(
      "HTTP/1.1 101\r\nUPGRADE:websocket\r\nCONNECTION: keep-alive, upgrade\r\n"
      "SEC-WEBSOCKET-ACCEPT:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n\r\n");
  expect_ok(
      "HTTP/1.1 101 \r\nupgrade: websocket\nconnection: upgrade\n"
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n"
      "sec-websocket-protocol: chat\n\n");
}

TEST(WsUpgradeResponse, RejectsAWrongAccept) {
  expect_reject(server_response("s3pPLMBiTxaQ9kYGzzhZRbK+xOp="), "wrong Sec-WebSocket-Accept");
  expect_reject(server_response("S3PPLMBITXAQ9KYGZZHZRBK+XOO="), "wrong Sec-WebSocket-Accept");
  expect_reject(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
      "missing Sec-WebSocket-Accept");
  expect_reject(
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      "duplicate Sec-WebSocket-Accept");
}

TEST(WsUpgradeResponse, RejectsOtherStatusesNamingThem) {
  expect_reject("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", "status 200");
  expect_reject("HTTP/1.1 403 Forbidden\r\n\r\n", "status 403");
  expect_reject("HTTP/1.1 426 Upgrade Required\r\nupgrade: websocket\r\n\r\n", "status 426");
  expect_reject("HTTP/1.0 101 Switching Protocols\r\n\r\n", "HTTP/1.1");
  expect_reject("HTTP/2.0 101 Switching Protocols\r\n\r\n", "HTTP/1.1");
}

TEST(WsUpgradeResponse, RejectsMissingUpgradeTokens) {
  const std::string accept = "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  expect_reject("HTTP/1.1 101 x\r\nconnection: upgrade\r\n" + accept + "\r\n", "Upgrade");
  expect_reject("HTTP/1.1 101 x\r\nupgrade: h2c\r\nconnection: upgrade\r\n" + accept + "\r\n",
                "Upgrade");
  expect_reject("HTTP/1.1 101 x\r\nupgrade: websocket\r\n" + accept + "\r\n", "Connection");
  expect_reject("HTTP/1.1 101 x\r\nupgrade: websocket\r\nconnection: close\r\n" + accept + "\r\n",
                "Connection");
}

TEST(WsUpgradeResponse, RejectsAnExtensionWeDidNotOffer) {
  const std::string r = server_response(sample_accept);
  expect_reject(r.substr(0, r.size() - 2) + "sec-websocket-extensions: permessage-deflate\r\n\r\n",
                "extension");
}

TEST(WsUpgradeResponse, RejectsGarbageAndOversizedBlocks) {
  expect_reject("\x16\x03\x03\x00\x02\x02\x28"s, "malformed");
  expect_reject("HTTP/1.1 1O1 OK\r\n", "malformed");
  expect_reject("HTTP/1.1 101 OK\r\nupgrade websocket\r\n", "malformed");
  expect_reject("HTTP/1.1 101 OK\r\nx: a\0b\r\n"s, "malformed");
  expect_reject("<html>", "malformed");
  const std::string r = server_response(sample_accept);
  const std::string big =
      r.substr(0, r.size() - 2) + "x-pad: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  expect_reject(big, "too large");
  const response_result small = parse_upgrade_response(r, sample_accept, 128);
  EXPECT_EQ(small.status, parse_status::reject);
}

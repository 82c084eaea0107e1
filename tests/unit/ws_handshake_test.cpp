// SPDX-License-Identifier: MIT
#include "ws/handshake.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <initializer_list>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using kmr::ws::accept_key;
using kmr::ws::client_request;
using kmr::ws::error_response;
using kmr::ws::parse_status;
using kmr::ws::parse_upgrade_request;
using kmr::ws::request_result;
using kmr::ws::server_response;
using namespace std::string_literals;

namespace {

constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3

std::string original_request() { return client_request("example.com", "/ws", sample_key); }

// A request from a start line and header lines, CRLF-terminated.
std::string request(std::string_view start, std::initializer_list<std::string_view> headers) {
  std::string r(start);
  r += "\r\n";
  for (auto h : headers) r.append(h).append("\r\n");
  return r + "\r\n";
}

std::string with_headers(std::initializer_list<std::string_view> headers) {
  return request("GET /ws HTTP/1.1", headers);
}

request_result parse(std::string_view bytes, std::string_view host = "example.com",
                     std::string_view path = "/ws") {
  return parse_upgrade_request(bytes, host, path);
}

void expect_ok(std::string_view bytes, std::string_view host = "example.com",
               std::string_view path = "/ws") {
  const request_result r = parse(bytes, host, path);
  EXPECT_EQ(r.status, parse_status::ok) << r.http_status << " " << r.reason << "\n" << bytes;
}

// Every prefix of a hostile request gets need_more or the final verdict: never a
// different status, never a crash.
void expect_reject(std::string_view bytes, int status, std::string_view host = "example.com",
                   std::string_view path = "/ws") {
  const request_result r = parse(bytes, host, path);
  EXPECT_EQ(r.status, parse_status::reject) << bytes;
  EXPECT_EQ(r.http_status, status) << r.reason << "\n" << bytes;
  EXPECT_FALSE(r.reason.empty());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const request_result p = parse(bytes.substr(0, n), host, path);
    if (p.status == parse_status::need_more) continue;
    ASSERT_EQ(p.status, parse_status::reject) << n;
    ASSERT_EQ(p.http_status, status) << "prefix " << n << ": " << p.reason;
  }
}

}  // namespace

TEST(WsClientRequest, MatchesTheOriginalBytes) {  // kaminari-wire §5.1, §14.2
  const std::string r = original_request();
  EXPECT_EQ(r,
            "GET /ws HTTP/1.1\r\n"
            "host: example.com\r\n"
            "upgrade: websocket\r\n"
            "connection: upgrade\r\n"
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "sec-websocket-version: 13\r\n"
            "\r\n");
  EXPECT_EQ(r.size(), 152u);
}

TEST(WsServerResponse, MatchesTheOriginalBytes) {  // kaminari-wire §5.3, §14.2
  const std::string r = server_response(accept_key(sample_key));
  EXPECT_EQ(r,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "upgrade: websocket\r\n"
            "connection: upgrade\r\n"
            "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
  EXPECT_EQ(r.size(), 129u);
}

TEST(WsErrorResponse, IsCompleteAndClosesForEachStatus) {
  for (int status : {400, 403, 404, 405, 426, 431, 500, 503, 505}) {
    const std::string r = error_response(status);
    SCOPED_TRACE(r);
    EXPECT_EQ(r.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0u);
    EXPECT_NE(r.find("close\r\n"), std::string::npos);
    const std::size_t end = r.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    const std::string body = r.substr(end + 4);
    EXPECT_NE(r.find("content-length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  }
}

TEST(WsErrorResponse, AdvertisesWhatTheClientShouldUse) {
  const std::string r426 = error_response(426);  // RFC 6455 §4.4, RFC 9110 §7.8
  EXPECT_NE(r426.find("\r\nupgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(r426.find("\r\nsec-websocket-version: 13\r\n"), std::string::npos);
  EXPECT_NE(r426.find("\r\nconnection: upgrade, close\r\n"), std::string::npos);
  EXPECT_NE(error_response(405).find("\r\nallow: GET\r\n"), std::string::npos);
}

TEST(WsErrorResponse, SendsUnknownStatusesAs500) {
  EXPECT_EQ(error_response(302).rfind("HTTP/1.1 500 ", 0), 0u);
  EXPECT_EQ(error_response(-1).rfind("HTTP/1.1 500 ", 0), 0u);
}

TEST(WsUpgradeRequest, AcceptsTheOriginalRequest) {
  const std::string r = original_request();
  const request_result got = parse(r);
  ASSERT_EQ(got.status, parse_status::ok) << got.reason;
  EXPECT_EQ(got.header_size, r.size());
  EXPECT_EQ(got.key, sample_key);
}

TEST(WsUpgradeRequest, NeedsMoreAtEveryStrictPrefix) {
  const std::string r = original_request();
  for (std::size_t n = 0; n < r.size(); ++n)
    ASSERT_EQ(parse(std::string_view(r).substr(0, n)).status, parse_status::need_more) << n;
  EXPECT_EQ(parse(r).status, parse_status::ok);
}

TEST(WsUpgradeRequest, LeavesPipelinedBytesToTheCaller) {
  const std::string r = original_request();
  const std::string bytes = r + "\x82\x85\0\0\0\0hello"s;
  const request_result got = parse(bytes);
  ASSERT_EQ(got.status, parse_status::ok);
  EXPECT_EQ(got.header_size, r.size());
  EXPECT_EQ(bytes.substr(got.header_size), "\x82\x85\0\0\0\0hello"s);
}

TEST(WsUpgradeRequest, AcceptsTokenListsAndAnyCase) {
  expect_ok(
      with_headers({"Host: example.com", "Connection: keep-alive, Upgrade", "Upgrade: WebSocket",
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"}));
  expect_ok(
      with_headers({"SEC-WEBSOCKET-VERSION:13", "sEc-WeBsOcKeT-kEy:\t dGhlIHNhbXBsZSBub25jZQ== \t",
                    "UPGRADE: h2c ,, websocket", "CONNECTION:  Upgrade  ", "HOST: Example.COM"}));
  // Connection may be repeated (RFC 9110 §5.3): the lists combine.
  expect_ok(with_headers(
      {"host: example.com", "connection: keep-alive", "connection: upgrade", "upgrade: websocket",
       "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version: 13"}));
}

TEST(WsUpgradeRequest, AcceptsFiftyCdnHeaders) {
  std::string r = "GET /ws HTTP/1.1\r\n";
  for (int i = 0; i < 10; ++i) {
    r += "X-Forwarded-For: 203.0.113." + std::to_string(i) + ", 198.51.100.7\r\n";
    r += "CF-Ray: 7d2a1b3c4e5f6a7b-FRA\r\n";
    r += "CF-Connecting-IP: 203.0.113." + std::to_string(i) + "\r\n";
    r += "X-Forwarded-Proto: https\r\n";
    r += "Via: 1.1 varnish, 1.1 cdn-edge-" + std::to_string(i) + "\r\n";
  }
  r += "Host: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
       "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
       "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nOrigin: https://example.com\r\n\r\n";
  expect_ok(r);
}

TEST(WsUpgradeRequest, ComparesHostWithoutCaseOrPort) {
  const std::string base =
      "upgrade: websocket\r\nconnection: upgrade\r\n"
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13";
  auto with_host = [&](std::string_view host) {
    return "GET /ws HTTP/1.1\r\nhost: " + std::string(host) + "\r\n" + base + "\r\n\r\n";
  };
  expect_ok(with_host("example.com:443"));
  expect_ok(with_host("EXAMPLE.com:8080"));
  expect_ok(with_host("example.com:"));
  expect_ok(with_host("example.com"), "example.com:443");
  expect_ok(with_host("[::1]:80"), "::1");
  expect_ok(with_host("[::1]:80"), "[::1]");
  expect_ok(with_host("[::1]"), "::1");
  expect_ok(with_host("127.0.0.1:1080"), "127.0.0.1");
  expect_reject(with_host("example.org"), 404);
  expect_reject(with_host("example.com.evil"), 404);
  expect_reject(with_host("example.com:x"), 404);
  expect_reject(with_host("[::2]:80"), 404, "::1");
  expect_reject(with_host(""), 400);
}

TEST(WsUpgradeRequest, ComparesPathExactlyButIgnoresAQuery) {
  auto at = [](std::string_view target) {
    return client_request("example.com", target, "dGhlIHNhbXBsZSBub25jZQ==");
  };
  expect_ok(at("/ws?x=1"));
  expect_ok(at("/ws?"));
  expect_reject(at("/ws/"), 404);
  expect_reject(at("/wsx"), 404);
  expect_reject(at("/WS"), 404);
  expect_reject(at("/"), 404);
  expect_reject(at("http://example.com/ws"), 404);
  expect_reject(at("*"), 404);
  expect_ok(at("/ws?a=b"), "example.com", "/ws?a=b");
  expect_reject(at("/ws"), 404, "example.com", "/ws?a=b");
  expect_reject(at("/ws?a=c"), 404, "example.com", "/ws?a=b");
  expect_ok(at("/"), "example.com", "/");
}

TEST(WsUpgradeRequest, AcceptsBareLfLineEndings) {
  // Lenient, as RFC 9112 §2.2 allows and httparse (the original's parser) does.
  expect_ok(
      "GET /ws HTTP/1.1\nhost: example.com\nupgrade: websocket\nconnection: upgrade\n"
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\nsec-websocket-version: 13\n\n");
  const std::string mixed =
      "GET /ws HTTP/1.1\r\nhost: example.com\nupgrade: websocket\r\n"
      "connection: upgrade\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "sec-websocket-version: 13\n\r\nrest";
  const request_result r = parse(mixed);
  ASSERT_EQ(r.status, parse_status::ok);
  EXPECT_EQ(mixed.substr(r.header_size), "rest");
}

TEST(WsUpgradeRequest, RejectsMissingHeaders) {
  const std::string_view host = "host: example.com", up = "upgrade: websocket",
                         conn = "connection: upgrade",
                         key = "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
                         ver = "sec-websocket-version: 13";
  expect_reject(with_headers({up, conn, key, ver}), 400);
  expect_reject(with_headers({host, conn, key, ver}), 426);
  expect_reject(with_headers({host, up, key, ver}), 426);
  expect_reject(with_headers({host, up, "connection: keep-alive", key, ver}), 426);
  expect_reject(with_headers({host, "upgrade: h2c", conn, key, ver}), 426);
  expect_reject(with_headers({host, up, conn, ver}), 400);
  expect_reject(with_headers({host, up, conn, key}), 426);
}

TEST(WsUpgradeRequest, RejectsDuplicateHeaders) {
  const std::string_view host = "host: example.com", up = "upgrade: websocket",
                         conn = "connection: upgrade",
                         key = "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
                         ver = "sec-websocket-version: 13";
  expect_reject(with_headers({host, "Host: example.com", up, conn, key, ver}), 400);
  expect_reject(with_headers({host, up, "Upgrade: websocket", conn, key, ver}), 400);
  expect_reject(
      with_headers({host, up, conn, key, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==", ver}), 400);
  expect_reject(with_headers({host, up, conn, key, ver, "Sec-WebSocket-Version: 13"}), 400);
}

TEST(WsUpgradeRequest, RejectsBadKeys) {
  auto with_key = [](std::string_view key) { return client_request("example.com", "/ws", key); };
  expect_reject(with_key("not base64 at all!!!!!=="), 400);
  expect_reject(with_key("dGhlIHNhbXBsZSBub25jZQ"), 400);    // no padding
  expect_reject(with_key("dGhlIHNhbXBsZSBub25j"), 400);      // 15 bytes
  expect_reject(with_key("dGhlIHNhbXBsZSBub25jZSE="), 400);  // 17 bytes
  expect_reject(with_key(""), 400);
  expect_reject(with_key("dGhlIHNhbXBs ZSBub25jZQ=="), 400);
}

TEST(WsUpgradeRequest, RejectsWrongVersions) {
  auto with_version = [](std::string_view v) {
    return "GET /ws HTTP/1.1\r\nhost: example.com\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
           "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: " +
           std::string(v) + "\r\n\r\n";
  };
  expect_reject(with_version("8"), 426);
  expect_reject(with_version("13, 8"), 426);
  expect_reject(with_version("14"), 426);
  expect_reject(with_version(""), 426);
  expect_ok(with_version(" 13 "));
}

TEST(WsUpgradeRequest, RejectsOtherHttpVersionsAndMethods) {
  std::string r = original_request();
  expect_reject(std::string(r).replace(r.find("HTTP/1.1"), 8, "HTTP/1.0"), 400);
  expect_reject(std::string(r).replace(r.find("HTTP/1.1"), 8, "HTTP/2.0"), 505);
  expect_reject(std::string(r).replace(r.find("HTTP/1.1"), 8, "HTTP/0.9"), 505);
  expect_ok(std::string(r).replace(r.find("HTTP/1.1"), 8, "HTTP/1.2"));
  expect_reject(std::string(r).replace(0, 3, "POST"), 405);
  expect_reject(std::string(r).replace(0, 3, "get"), 405);
  expect_reject(std::string(r).replace(0, 3, "CONNECT"), 405);
  expect_reject(std::string(r).replace(r.find("HTTP/1.1"), 8, "HTTP/11"), 400);
  expect_reject(std::string(r).replace(r.find("HTTP/1.1"), 8, "http/1.1"), 400);
}

TEST(WsUpgradeRequest, RejectsHeaderBlocksOverTheLimits) {
  const std::string r = original_request();
  std::string big = r.substr(0, r.size() - 2);
  big += "x-pad: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  expect_reject(big, 431);
  std::string many = "GET /ws HTTP/1.1\r\n";
  for (int i = 0; i < 95; ++i) many += "x-h" + std::to_string(i) + ": v\r\n";
  const std::string with_100 = many + r.substr(r.find("\r\n") + 2);  // 95 + 5 headers
  expect_ok(with_100);
  expect_reject("GET /ws HTTP/1.1\r\nx-extra: 1\r\n" + with_100.substr(with_100.find("\r\n") + 2),
                431);
}

TEST(WsUpgradeRequest, AcceptsABlockOfExactlyTheLimit) {
  const std::string r = original_request();
  const std::string head = r.substr(0, r.size() - 2) + "x-pad: ";
  const std::size_t pad = 16 * 1024 - head.size() - 4;
  const std::string exact = head + std::string(pad, 'a') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 16u * 1024u);
  expect_ok(exact);
  expect_reject(head + std::string(pad + 1, 'a') + "\r\n\r\n", 431);
}

TEST(WsUpgradeRequest, RejectsGarbageEarly) {
  // A TLS ClientHello on the plain port: refused at once, not after 16 KiB or a timeout.
  const request_result tls = parse("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s);
  EXPECT_EQ(tls.status, parse_status::reject);
  EXPECT_EQ(tls.http_status, 400);
  expect_reject("SSH-2.0-OpenSSH_9.2\r\n", 400);
  expect_reject("\r\nGET /ws HTTP/1.1\r\n\r\n", 400);
  expect_reject("GET  /ws HTTP/1.1\r\n\r\n", 400);
  expect_reject("GET /ws HTTP/1.1 \r\n\r\n", 400);
  expect_reject("GET /ws\r\n\r\n", 400);
  expect_reject(" GET /ws HTTP/1.1\r\n", 400);
  expect_reject("GET /w\x7fs HTTP/1.1\r\n", 400);
}

TEST(WsUpgradeRequest, RejectsControlBytesAndBadHeaderLines) {
  const std::string r = original_request();
  const std::size_t after_first = r.find("\r\n") + 2;
  auto insert = [&](std::string_view line) { return std::string(r).insert(after_first, line); };
  expect_reject(insert("x-a: b\0c\r\n"s), 400);  // NUL in a value
  expect_reject(insert("x-a: b\rc\r\n"), 400);   // bare CR
  expect_reject(insert("x-a: b\x01\r\n"), 400);
  expect_reject(insert("x-a : b\r\n"), 400);               // space before the colon
  expect_reject(insert("x-a b\r\n"), 400);                 // no colon
  expect_reject(insert(": b\r\n"), 400);                   // empty name
  expect_reject(insert("x-a: b\r\n continued\r\n"), 400);  // obs-fold
  expect_reject(insert("x-a: b\r\n\tcontinued\r\n"), 400);
  expect_reject(insert("x(a): b\r\n"), 400);
  expect_reject(std::string(r).replace(0, 3, "G\0T"s), 400);
  expect_ok(insert("x-a: caf\xc3\xa9 \t tab\r\n"));  // obs-text and HTAB are fine
  expect_ok(insert("x-empty:\r\n"));
}

TEST(WsUpgradeRequest, NeverCrashesOnRandomBytes) {
  std::mt19937 rng(5);
  const std::string r = original_request();
  for (int round = 0; round < 2000; ++round) {
    std::string s = r;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n; ++k)
      s[rng() % s.size()] = static_cast<char>(rng());
    const request_result got = parse(s);
    if (got.status == parse_status::ok) {
      EXPECT_LE(got.header_size, s.size());
      EXPECT_EQ(got.key.size(), 24u);
    } else if (got.status == parse_status::reject) {
      EXPECT_FALSE(got.reason.empty());
    }
  }
}

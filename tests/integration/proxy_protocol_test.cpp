// SPDX-License-Identifier: MIT
// The PROXY protocol end to end on loopback: kaminaric and kaminaris send the client's
// address (proxy-protocol=), require and read one (accept-proxy, trusted=), take it from
// a trusted proxy's X-Forwarded-For (ws), and put a v2 DGRAM header on each datagram
// (uot). The far end is an echo server, so what it received comes back to the test: the
// header first, then the payload, each checked byte for byte.
#include "proxy/proxy_header.hpp"
#include "support/http_get.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"
#include "support/udp_peer.hpp"
#include "support/ws_raw.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace kmr::test {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes to_bytes(std::string_view text) { return {text.begin(), text.end()}; }
bytes to_bytes(const std::vector<std::byte>& b) {
  bytes out(b.size());
  std::memcpy(out.data(), b.data(), b.size());
  return out;
}

// A TCP connection to 127.0.0.1:port from `source` (another loopback address, so that
// the client's address differs from every hop's), and the source port it got.
struct bound_connection {
  socket_fd fd;
  std::uint16_t source_port = 0;
};

bound_connection connect_from(const char* source, std::uint16_t port) {
  socket_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) throw std::runtime_error("bind");
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("connect");
  socklen_t size = sizeof from;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&from), &size);
  return {std::move(fd), ntohs(from.sin_port)};
}

std::string v1_line(const std::string& source, std::uint16_t source_port, std::uint16_t destination_port) {
  return "PROXY TCP4 " + source + " 127.0.0.1 " + std::to_string(source_port) + " " +
         std::to_string(destination_port) + "\r\n";
}

sockaddr_storage ipv4(const char* text, std::uint16_t port) {
  sockaddr_storage s{};
  auto* in = reinterpret_cast<sockaddr_in*>(&s);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  ::inet_pton(AF_INET, text, &in->sin_addr);
  return s;
}

bytes v2_header(const char* source, std::uint16_t source_port, std::uint16_t destination_port) {
  proxy::header h;
  h.source = ipv4(source, source_port);
  h.destination = ipv4("127.0.0.1", destination_port);
  return to_bytes(proxy::build_v2(h));
}

// Sends `sent` and reads back what the echo server returns: `expected` bytes at most.
std::string echoed(int fd, const bytes& sent, std::size_t expected) {
  EXPECT_TRUE(send_all(fd, sent, after(5s)));
  const auto back = read_exact(fd, expected, after(10s));
  if (!back) return "(nothing came back)";
  return std::string(back->begin(), back->end());
}

// A plain kaminaris in front of the echo server with these options.
started_binary server_with(const loopback_server& echo, const std::string& options) {
  return start_binary(server_bin, "127.0.0.1:0", echo.address(), options);
}

// The connection is closed by the server without relaying a byte.
void expect_refused(int fd, const loopback_server& echo, const started_binary& server) {
  const read_result r = read_to_end(fd, after(10s));
  EXPECT_TRUE(r.end == stream_end::eof || r.end == stream_end::reset) << to_string(r.end);
  EXPECT_EQ(r.received.bytes, 0u);
  EXPECT_EQ(echo.accepted(), 0u) << server.process->diagnostics();
}

TEST(ProxyProtocol, ClientSendsV1WithTheApplicationsAddress) {
  loopback_server echo;
  // kaminaric over plain TCP straight to the echo server: the header is the first bytes.
  auto client = start_binary(client_bin, "127.0.0.1:0", echo.address(), "proxy-protocol=v1");
  auto c = connect_from("127.0.0.9", client.port);
  const std::string header = v1_line("127.0.0.9", c.source_port, client.port);
  EXPECT_EQ(echoed(c.fd.get(), to_bytes("ping"), header.size() + 4), header + "ping")
      << client.process->diagnostics();
}

TEST(ProxyProtocol, ClientSendsV2WithTheApplicationsAddress) {
  loopback_server echo;
  auto client = start_binary(client_bin, "127.0.0.1:0", echo.address(), "proxy-protocol=v2");
  auto c = connect_from("127.0.0.9", client.port);
  const bytes header = v2_header("127.0.0.9", c.source_port, client.port);
  const std::string expected = std::string(header.begin(), header.end()) + "ping";
  EXPECT_EQ(echoed(c.fd.get(), to_bytes("ping"), expected.size()), expected) << client.process->diagnostics();
}

TEST(ProxyProtocol, ClientAcceptsAHeaderAndPassesItsAddressOn) {
  loopback_server echo;
  auto client = start_binary(client_bin, "127.0.0.1:0", echo.address(), "accept-proxy;proxy-protocol=v1");
  auto c = connect_from("127.0.0.1", client.port);
  bytes sent = v2_header("198.51.100.4", 4242, 443);
  sent.push_back('?');
  // The destination passed on is the one the balancer's header names, not ours.
  const std::string expected = "PROXY TCP4 198.51.100.4 127.0.0.1 4242 443\r\n?";
  EXPECT_EQ(echoed(c.fd.get(), sent, expected.size()), expected) << client.process->diagnostics();
}

struct transport {
  const char* name;
  std::string options;  // the same on both ends, as a SIP003 host would pass
  std::string client_only;
  std::string server_only;
};

const transport transports[] = {
    {"plain", "", "", ""},
    {"ws", "ws;host=example.com;path=/t", "", ""},
    {"tls", "tls", ";sni=example.com;insecure", ";servername=example.com"},
    {"wss", "ws;host=example.com;path=/t;tls", ";sni=example.com;insecure", ";servername=example.com"},
};

class ProxyThroughTheTunnel : public ::testing::TestWithParam<transport> {};

// kaminaric tells kaminaris who the application is (v2, before TLS), kaminaris believes
// it (accept-proxy, trusted) and tells the remote (v1). The application's address,
// 127.0.0.9, is neither hop's.
TEST_P(ProxyThroughTheTunnel, TheApplicationsAddressReachesTheRemote) {
  loopback_server echo;
  const auto& t = GetParam();
  tunnel_pair tunnel({.remote = echo.address(),
                      .client_options = t.options + t.client_only + ";proxy-protocol=v2",
                      .server_options = t.options + t.server_only +
                                        ";accept-proxy;trusted=127.0.0.1;proxy-protocol=v1;log-connections"});
  for (int i = 0; i < 3; ++i) {
    auto c = connect_from("127.0.0.9", tunnel.client_port());
    const std::string header = v1_line("127.0.0.9", c.source_port, tunnel.client_port());
    const std::string payload = "payload " + std::to_string(i);
    EXPECT_EQ(echoed(c.fd.get(), to_bytes(payload), header.size() + payload.size()), header + payload)
        << tunnel.diagnostics();
    // The server's own lines name the application too.
    shutdown_write(c.fd.get());
    read_to_end(c.fd.get(), after(5s));
  }
  EXPECT_TRUE(tunnel.server().wait_for_line_containing("peer=127.0.0.9:", after(5s))) << tunnel.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(Transports, ProxyThroughTheTunnel, ::testing::ValuesIn(transports),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AcceptProxy, HeaderAndPayloadInOneWrite_ThePayloadIsKept) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;proxy-protocol=v1");
  auto c = connect_from("127.0.0.1", server.port);
  bytes sent = v2_header("198.51.100.4", 4242, 443);
  const bytes payload = to_bytes("GET / HTTP/1.0\r\n\r\n");
  sent.insert(sent.end(), payload.begin(), payload.end());
  const std::string expected = "PROXY TCP4 198.51.100.4 127.0.0.1 4242 443\r\n" + std::string("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(echoed(c.fd.get(), sent, expected.size()), expected) << server.process->diagnostics();
}

TEST(AcceptProxy, HeaderInPieces_IsReadWhole) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;proxy-protocol=v2");
  for (const bool v1 : {true, false}) {
    auto c = connect_from("127.0.0.1", server.port);
    const bytes header = v1 ? to_bytes("PROXY TCP4 198.51.100.4 127.0.0.1 4242 443\r\n")
                            : v2_header("198.51.100.4", 4242, 443);
    for (const auto b : header) {  // one byte per segment: every need_more path
      ASSERT_TRUE(send_all(c.fd.get(), bytes{b}, after(5s)));
      std::this_thread::sleep_for(2ms);
    }
    const bytes expected_header = v2_header("198.51.100.4", 4242, 443);
    const std::string expected = std::string(expected_header.begin(), expected_header.end()) + "data";
    EXPECT_EQ(echoed(c.fd.get(), to_bytes("data"), expected.size()), expected)
        << (v1 ? "v1" : "v2") << "\n" << server.process->diagnostics();
  }
}

TEST(AcceptProxy, LocalHeader_TheTcpPeerStaysTheClient) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;proxy-protocol=v1");
  auto c = connect_from("127.0.0.5", server.port);
  proxy::header local;
  local.local = true;
  bytes sent = to_bytes(proxy::build_v2(local));
  sent.push_back('x');
  const std::string expected = v1_line("127.0.0.5", c.source_port, server.port) + "x";
  EXPECT_EQ(echoed(c.fd.get(), sent, expected.size()), expected) << server.process->diagnostics();
}

TEST(AcceptProxy, NoHeader_IsClosedAndReported) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy");
  auto c = connect_from("127.0.0.1", server.port);
  ASSERT_TRUE(send_all(c.fd.get(), to_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), after(5s)));
  expect_refused(c.fd.get(), echo, server);
  EXPECT_TRUE(server.process->wait_for_line_containing("refused (accept-proxy)", after(5s)))
      << server.process->diagnostics();
}

TEST(AcceptProxy, ClosedBeforeAByte_IsNotWarnedAbout) {
  // A balancer's TCP health check connects and closes; only a peer that sends something
  // else than a header is warned about. One worker, so the two are handled in order.
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;threads=1");
  connect_from("127.0.0.1", server.port);  // closed at once
  auto c = connect_from("127.0.0.1", server.port);
  ASSERT_TRUE(send_all(c.fd.get(), to_bytes("SSH-2.0-probe\r\n"), after(5s)));
  expect_refused(c.fd.get(), echo, server);
  const auto line = server.process->wait_for_line_containing("refused (accept-proxy)", after(5s));
  ASSERT_TRUE(line) << server.process->diagnostics();
  EXPECT_EQ(line->find("closed before"), std::string::npos) << *line;
  EXPECT_EQ(count_lines_containing(server.process->stderr_text(), "refused (accept-proxy)"), 1u)
      << server.process->diagnostics();
}

TEST(AcceptProxy, MalformedHeaders_AreClosed) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;metrics=127.0.0.1:0");
  const std::vector<bytes> hostile = {
      to_bytes("PROXY TCP4 1.2.3.4\r\n"),
      to_bytes("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"),
      to_bytes("PROXY TCP9 1.2.3.4 5.6.7.8 1 2\r\n"),
      to_bytes(std::string("PROXY TCP4 ") + std::string(200, '1')),  // no CRLF within 107 bytes
      to_bytes(std::string("\r\n\r\n\0\r\nQUIT\n\x31\x11\x00\x0c", 16)),  // version 3
      to_bytes(std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff", 16)),  // longer than we take
  };
  for (const auto& h : hostile) {
    auto c = connect_from("127.0.0.1", server.port);
    ASSERT_TRUE(send_all(c.fd.get(), h, after(5s)));
    expect_refused(c.fd.get(), echo, server);
  }
  // The server is still there, and a good header still works.
  auto good = connect_from("127.0.0.1", server.port);
  bytes sent = v2_header("198.51.100.4", 1, 2);
  sent.push_back('!');
  EXPECT_EQ(echoed(good.fd.get(), sent, 1), "!") << server.process->diagnostics();
  // Each refusal is counted by its reason.
  const auto metrics_line = server.process->wait_for_line_containing("metrics: http://", after(5s));
  ASSERT_TRUE(metrics_line);
  const std::string series =
      "kaminari_connections_ended_total{side=\"server\",transport=\"tcp\",reason=\"proxy_refused\"}";
  std::optional<double> refused;
  for (const auto d = after(10s); clock::now() < d;) {  // the last refusal may still be ending
    const auto reply = http_get("127.0.0.1", metrics_port_of(*metrics_line), "/metrics", after(5s));
    ASSERT_TRUE(reply);
    refused = sample_value(reply->body, series);
    if (refused == static_cast<double>(hostile.size())) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(refused, static_cast<double>(hostile.size()));
}

TEST(AcceptProxy, PeerOutsideTrusted_IsClosedWithoutReading) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;trusted=127.0.0.2,10.0.0.0/8");
  auto c = connect_from("127.0.0.1", server.port);
  ASSERT_TRUE(send_all(c.fd.get(), v2_header("198.51.100.4", 1, 2), after(5s)));
  expect_refused(c.fd.get(), echo, server);
  EXPECT_TRUE(server.process->wait_for_line_containing("not in trusted=", after(5s))) << server.process->diagnostics();
  // 127.0.0.2 is trusted.
  auto trusted = connect_from("127.0.0.2", server.port);
  bytes sent = v2_header("198.51.100.4", 1, 2);
  sent.push_back('!');
  EXPECT_EQ(echoed(trusted.fd.get(), sent, 1), "!") << server.process->diagnostics();
}

TEST(AcceptProxy, Silence_IsClosedAtTheHandshakeTimeout) {
  loopback_server echo;
  auto server = server_with(echo, "accept-proxy;handshake-timeout=300ms");
  auto c = connect_from("127.0.0.1", server.port);
  expect_refused(c.fd.get(), echo, server);
  EXPECT_TRUE(server.process->wait_for_line_containing("no PROXY header within handshake-timeout", after(5s)))
      << server.process->diagnostics();
}

// A raw WebSocket upgrade with forwarding headers, then one data frame; returns what the
// echo server got back, as the payload of the data frames that return.
std::string upgrade_and_echo(std::uint16_t port, const char* from, const std::string& forwarding_headers,
                             std::size_t expected) {
  auto c = connect_from(from, port);
  const std::string request = "GET /t HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                              forwarding_headers + "\r\n";
  if (!send_all(c.fd.get(), to_bytes(request), after(5s))) return "(cannot send)";
  std::vector<std::uint8_t> surplus;
  if (!read_http_head(c.fd.get(), surplus, after(5s))) return "(no 101)";
  if (!send_all(c.fd.get(), make_frame(ws::opcode::binary, to_bytes("hi"), ws::mask_key{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}}), after(5s)))
    return "(cannot send the frame)";
  std::vector<received_frame> controls;
  const auto data = read_data(c.fd.get(), surplus, expected, controls, after(10s));
  if (!data) return "(nothing came back)";
  return std::string(data->begin(), data->end());
}

TEST(ForwardedFor, ATrustedProxysClientBecomesTheClient) {
  loopback_server echo;
  auto server = server_with(echo, "ws;host=example.com;path=/t;trusted=127.0.0.1;proxy-protocol=v1");
  // 127.0.0.1 is our proxy; it names 203.0.113.7, who came through 127.0.0.1 itself.
  const std::string expected = "PROXY TCP4 203.0.113.7 127.0.0.1 0 " + std::to_string(server.port) + "\r\nhi";
  EXPECT_EQ(upgrade_and_echo(server.port, "127.0.0.1", "X-Forwarded-For: 192.0.2.1, 203.0.113.7, 127.0.0.1\r\n",
                             expected.size()),
            expected)
      << server.process->diagnostics();
  const std::string real_ip = "PROXY TCP4 203.0.113.8 127.0.0.1 0 " + std::to_string(server.port) + "\r\nhi";
  EXPECT_EQ(upgrade_and_echo(server.port, "127.0.0.1", "X-Real-IP: 203.0.113.8\r\n", real_ip.size()), real_ip);
}

TEST(ForwardedFor, AnUntrustedPeersHeadersAreIgnored) {
  loopback_server echo;
  auto server = server_with(echo, "ws;host=example.com;path=/t;trusted=127.0.0.1;proxy-protocol=v1");
  // 127.0.0.6 is not trusted: what it claims does not count, and it is the client.
  const std::string head = "PROXY TCP4 127.0.0.6 127.0.0.1 ";
  const std::string got = upgrade_and_echo(server.port, "127.0.0.6", "X-Forwarded-For: 203.0.113.7\r\n", head.size());
  EXPECT_EQ(got.substr(0, head.size()), head) << server.process->diagnostics();
}

TEST(ProxyProtocolUot, EveryDatagramToTheRemoteStartsWithAV2DgramHeader) {
  udp_echo_server echo;
  tunnel_pair tunnel({.remote = echo.address(),
                      .client_options = "uot;proxy-protocol=v2",
                      .server_options = "uot;accept-proxy;trusted=127.0.0.1;proxy-protocol=v2"});
  udp_client app("127.0.0.1", tunnel.client_port());
  for (std::uint32_t seq = 0; seq < 5; ++seq) {
    const datagram sent = numbered_datagram(1, seq, 100);
    ASSERT_TRUE(app.send(sent));
    const auto back = app.receive(after(5s));
    ASSERT_TRUE(back) << tunnel.diagnostics();
    // The remote echoed what it got: a header, then the datagram.
    const auto parsed = proxy::parse(std::as_bytes(std::span(back->data(), back->size())));
    ASSERT_EQ(parsed.status, proxy::parse_status::complete) << parsed.error;
    EXPECT_TRUE(parsed.value.datagram);
    EXPECT_FALSE(parsed.value.local);
    const auto* source = reinterpret_cast<const sockaddr_in*>(&parsed.value.source);
    ASSERT_EQ(source->sin_family, AF_INET);
    EXPECT_EQ(ntohs(source->sin_port), app.local_port());
    EXPECT_EQ(datagram(back->begin() + static_cast<std::ptrdiff_t>(parsed.consumed), back->end()), sent);
  }
}

}  // namespace
}  // namespace kmr::test

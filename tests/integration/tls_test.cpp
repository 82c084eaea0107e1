// SPDX-License-Identifier: MIT
// The tls layer between our own client and server: verification against a private CA
// (and refusals), real 0-RTT with the payload delivered exactly once, and hostile input
// that must end one connection without disturbing the others.
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/test_pki.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace kmr::test {
namespace {

std::string server_options(const test_pki::server_files& f, const std::string& extra = "") {
  return "tls;cert=" + f.cert_file + ";key=" + f.key_file + extra;
}

// Counts the lines of `text` that contain `needle`.
std::size_t count_lines(const std::string& text, std::string_view needle) {
  std::size_t n = 0, pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    ++n;
    pos += needle.size();
  }
  return n;
}

// The tunnel refuses: the application's connection closes without a byte.
::testing::AssertionResult refused(const tunnel_pair& tunnel) {
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const auto payload = make_payload(1000, 1);
  send_all(fd.get(), payload, after(5s));
  const auto r = read_to_end(fd.get(), after(10s));
  if (r.received.bytes != 0) return ::testing::AssertionFailure() << "data crossed a refused tunnel";
  if (r.end == stream_end::timeout) return ::testing::AssertionFailure() << "the connection stayed open";
  return ::testing::AssertionSuccess();
}

struct TlsTunnel : ::testing::Test {
  test_pki pki;
  loopback_server echo;
  std::string ca_client(const std::string& sni) { return "tls;sni=" + sni + ";ca=" + pki.ca_file(); }
};

TEST_F(TlsTunnel, VerifiesPrivateCa_WithoutInsecure_TlsAndWss) {
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}, .ips = {"127.0.0.1"}});
  tunnel_pair tls({.remote = echo.address(), .client_options = ca_client("example.com"),
                   .server_options = server_options(files)});
  EXPECT_TRUE(echoes_payload(tls.host(), tls.client_port(), 64 << 20, 1, after(120s))) << tls.diagnostics();
  const std::string ws = "ws;host=example.com;path=/t;";
  tunnel_pair wss({.remote = echo.address(), .client_options = ws + ca_client("example.com"),
                   .server_options = ws + server_options(files)});
  EXPECT_TRUE(echoes_payload(wss.host(), wss.client_port(), 64 << 20, 2, after(120s))) << wss.diagnostics();
  // An IP literal as sni: no SNI is sent, and the IP SAN is what is verified.
  tunnel_pair by_ip({.remote = echo.address(), .client_options = ca_client("127.0.0.1"),
                     .server_options = server_options(files)});
  EXPECT_TRUE(echoes_payload(by_ip.host(), by_ip.client_port(), 1 << 20, 3, after(30s))) << by_ip.diagnostics();
}

TEST_F(TlsTunnel, RefusesWrongSni_ExpiredCertificate_UnknownCa) {
  const auto good = pki.write_server("good", {.dns_names = {"example.com"}});
  const auto expired = pki.write_server(
      "expired", {.dns_names = {"example.com"}, .valid_from = -48h, .valid_until = -24h});
  test_pki other;
  const auto stranger = other.write_server("stranger", {.dns_names = {"example.com"}});

  tunnel_pair wrong_sni({.remote = echo.address(), .client_options = ca_client("other.example"),
                         .server_options = server_options(good)});
  EXPECT_TRUE(refused(wrong_sni)) << wrong_sni.diagnostics();
  tunnel_pair old({.remote = echo.address(), .client_options = ca_client("example.com"),
                   .server_options = server_options(expired)});
  EXPECT_TRUE(refused(old)) << old.diagnostics();
  tunnel_pair unknown({.remote = echo.address(), .client_options = ca_client("example.com"),
                       .server_options = server_options(stranger)});
  EXPECT_TRUE(refused(unknown)) << unknown.diagnostics();
  for (auto* t : {&wrong_sni, &old, &unknown}) {
    EXPECT_TRUE(t->client().wait_for_line_containing("TLS handshake", after(5s))) << t->diagnostics();
  }
  EXPECT_EQ(echo.accepted(), 0u);

  // The same servers, with insecure: the user asked for no verification.
  tunnel_pair anyway({.remote = echo.address(), .client_options = "tls;sni=other.example;insecure",
                      .server_options = server_options(expired)});
  EXPECT_TRUE(echoes_payload(anyway.host(), anyway.client_port(), 1000, 4, after(30s))) << anyway.diagnostics();
}

TEST_F(TlsTunnel, ZeroRtt_ResumesAndDeliversEarlyDataOnce) {
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  loopback_server recorder({.mode = server_mode::read_then_reply, .reply_bytes = 100, .reply_seed = 9});
  tunnel_pair tunnel({.remote = recorder.address(), .client_options = ca_client("example.com") + ";0rtt",
                      .server_options = server_options(files, ";log=debug")});
  constexpr int connections = 5;
  for (int i = 0; i < connections; ++i) {
    const auto request = make_payload(2000, 100 + i);
    const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
    // Sent before the tunnel exists, so it is there to ride in the TLS first flight.
    ASSERT_TRUE(send_all(fd.get(), request, after(5s)));
    ASSERT_TRUE(shutdown_write(fd.get()));
    const auto reply = read_to_end(fd.get(), after(10s));
    EXPECT_EQ(reply.received, digest_of(make_payload(100, 9))) << tunnel.diagnostics();
    const auto records = recorder.wait_records(i + 1, after(10s));
    ASSERT_TRUE(records) << tunnel.diagnostics();
    EXPECT_EQ(records->back().received, digest_of(request)) << "connection " << i;  // exactly once
  }
  // The first connection has no ticket; the later ones resume with early data.
  std::this_thread::sleep_for(200ms);
  const auto accepted = count_lines(tunnel.server().stderr_text(), "TLS early data accepted");
  EXPECT_GE(accepted, 1u) << tunnel.diagnostics();
  EXPECT_LE(accepted, static_cast<std::size_t>(connections - 1));
}

TEST_F(TlsTunnel, ResumesSessionsWithout0rtt_NoEarlyData) {
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  tunnel_pair tunnel({.remote = echo.address(), .client_options = ca_client("example.com") + ";threads=1",
                      .server_options = server_options(files, ";log=debug")});
  constexpr int connections = 4;
  for (int i = 0; i < connections; ++i)
    ASSERT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1000, 1, after(10s))) << tunnel.diagnostics();
  std::this_thread::sleep_for(200ms);
  // The first connection is a full handshake; each later one uses a ticket of the one
  // before (one client thread, so one ticket store).
  const auto text = tunnel.server().stderr_text();
  EXPECT_EQ(count_lines(text, "TLS session resumed"), static_cast<std::size_t>(connections - 1)) << tunnel.diagnostics();
  EXPECT_EQ(count_lines(text, "TLS early data accepted"), 0u);
}

TEST_F(TlsTunnel, HostileInput_EndsOneConnection_OthersCarryOn) {
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  tunnel_pair tunnel({.remote = echo.address(), .client_options = ca_client("example.com"),
                      .server_options = server_options(files, ";handshake-timeout=1;log=debug")});
  const auto server_port = tunnel.server_port();

  // A good connection, open across all of the abuse below.
  const socket_fd steady = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const auto first = make_payload(1000, 1);
  ASSERT_TRUE(send_all(steady.get(), first, after(5s)));
  EXPECT_EQ(read_exact(steady.get(), first.size(), after(10s)), first);

  // Garbage instead of a ClientHello.
  const socket_fd garbage = connect_tcp("127.0.0.1", server_port, after(5s));
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(garbage.get(), {reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size()}, after(5s));
  EXPECT_NE(read_to_end(garbage.get(), after(5s)).end, stream_end::timeout);

  // Half a ClientHello, then silence: the handshake deadline ends it.
  const socket_fd stall = connect_tcp("127.0.0.1", server_port, after(5s));
  const std::vector<std::uint8_t> partial{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  send_all(stall.get(), partial, after(5s));
  const auto start = clock::now();
  EXPECT_NE(read_to_end(stall.get(), after(5s)).end, stream_end::timeout);
  EXPECT_LT(seconds_since(start), 4.0);

  // A record header that promises more than ever comes, then the end: a truncated record.
  const socket_fd truncated = connect_tcp("127.0.0.1", server_port, after(5s));
  const std::vector<std::uint8_t> cut{0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x02};
  send_all(truncated.get(), cut, after(5s));
  shutdown_write(truncated.get());
  EXPECT_NE(read_to_end(truncated.get(), after(5s)).end, stream_end::timeout);

  EXPECT_TRUE(tunnel.server().wait_for_line_containing("TLS handshake failed", after(5s))) << tunnel.diagnostics();
  const auto second = make_payload(70000, 2);
  ASSERT_TRUE(send_all(steady.get(), second, after(5s)));
  EXPECT_EQ(read_exact(steady.get(), second.size(), after(10s)), second) << tunnel.diagnostics();
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1 << 20, 3, after(30s))) << tunnel.diagnostics();
}

}  // namespace
}  // namespace kmr::test

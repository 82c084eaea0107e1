// SPDX-License-Identifier: MIT
// Real handshakes between contexts from tls/context.hpp, in memory: two SSL objects joined
// by a BIO pair and driven in turn, so verification, SNI, ALPN, OCSP and versions are
// checked end to end without sockets.
#include "tls/context.hpp"  // first: the header must compile on its own

#include "support/ssl_memory_pair.hpp"
#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

namespace {

using kmr::test::cert_spec;
using kmr::test::test_pki;
using kmr::tls::client_settings;
using kmr::tls::server_settings;
using kmr::tls::ssl_ctx_ptr;
using ssl_owner = std::unique_ptr<SSL, kmr::tls::openssl_free<SSL_free>>;

test_pki& pki() {
  static test_pki instance;
  return instance;
}

// The server for "server.test", 127.0.0.1 and ::1, issued by pki().
const test_pki::server_files& good_server() {
  static const auto files = pki().write_server(
      "good", cert_spec{.dns_names = {"server.test"}, .ips = {"127.0.0.1", "::1"}});
  return files;
}

ssl_ctx_ptr server_ctx(server_settings s) {
  if (s.cert_file.empty() && s.self_signed_name.empty()) {
    s.cert_file = good_server().cert_file;
    s.key_file = good_server().key_file;
  }
  auto ctx = kmr::tls::make_server_context(s);
  if (!ctx) ADD_FAILURE() << ctx.error().key << ": " << ctx.error().message;
  return ctx ? std::move(*ctx) : nullptr;
}

// One client and one server SSL over a BIO pair.
class memory_link {
 public:
  memory_link(SSL_CTX* server, const client_settings& c) {
    auto ctx = kmr::tls::make_client_context(c);
    if (!ctx) {
      ADD_FAILURE() << ctx.error().key << ": " << ctx.error().message;
      return;
    }
    client_ctx_ = std::move(*ctx);
    client_.reset(SSL_new(client_ctx_.get()));
    server_.reset(SSL_new(server));
    EXPECT_TRUE(kmr::tls::prepare_client_ssl(client_.get(), c));
    EXPECT_TRUE(kmr::test::join_in_memory(client_.get(), server_.get()));
  }

  SSL* client() const { return client_.get(); }
  SSL* server() const { return server_.get(); }

  // Runs both sides until both are done or one fails; the survivor then gets a few more
  // turns to read the alert. True when both completed.
  bool handshake() {
    if (!client_ || !server_) return false;
    for (int turn = 0; turn < 50; ++turn) {
      step(client_.get(), client_done_, client_error_);
      step(server_.get(), server_done_, server_error_);
      const bool failed = !client_error_.empty() || !server_error_.empty();
      if ((client_done_ && server_done_) || (failed && ++turns_after_failure_ > 3)) break;
    }
    return client_done_ && server_done_;
  }

  const std::string& client_error() const { return client_error_; }
  const std::string& server_error() const { return server_error_; }

 private:
  static void step(SSL* ssl, bool& done, std::string& error) {
    if (done || !error.empty()) return;
    const int r = SSL_do_handshake(ssl);
    if (r == 1) {
      done = true;
      return;
    }
    const int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      error = "SSL_get_error " + std::to_string(e) + ": " + kmr::tls::take_openssl_errors();
    }
  }

  ssl_ctx_ptr client_ctx_;
  ssl_owner client_;
  ssl_owner server_;
  bool client_done_ = false;
  bool server_done_ = false;
  int turns_after_failure_ = 0;
  std::string client_error_;
  std::string server_error_;
};

client_settings verifying(std::string sni) {
  return {.sni = std::move(sni), .ca_file = pki().ca_file()};
}

TEST(TlsHandshake, VerifiesWithCaFileAndRightSni) {
  const auto server = server_ctx({});
  memory_link link(server.get(), verifying("server.test"));
  ASSERT_TRUE(link.handshake()) << link.client_error() << " | " << link.server_error();
  EXPECT_EQ(SSL_get_verify_result(link.client()), X509_V_OK);
  EXPECT_STREQ(SSL_get_servername(link.server(), TLSEXT_NAMETYPE_host_name), "server.test");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsHandshake, VerifiesChainThroughIntermediate) {
  const auto inter = pki().issue(cert_spec{.is_ca = true});
  const auto leaf = pki().issue(cert_spec{.dns_names = {"chain.test"}}, &inter);
  const auto server = server_ctx(
      {.cert_file = pki().write_certs("hs-chain.crt", {leaf.cert.get(), inter.cert.get()}),
       .key_file = pki().write_key("hs-chain.key", leaf.key.get())});
  memory_link link(server.get(), verifying("chain.test"));
  EXPECT_TRUE(link.handshake()) << link.client_error();
}

TEST(TlsHandshake, RefusesWrongSni) {
  const auto server = server_ctx({});
  memory_link link(server.get(), verifying("other.test"));
  EXPECT_FALSE(link.handshake());
  EXPECT_NE(link.client_error().find("certificate verify failed"), std::string::npos)
      << link.client_error();
  EXPECT_EQ(SSL_get_verify_result(link.client()), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_FALSE(link.server_error().empty());  // the server saw the client's alert
}

TEST(TlsHandshake, RefusesPartialWildcard) {
  const auto server = server_ctx(
      {.cert_file = pki().write_server("wild", cert_spec{.dns_names = {"w*.test"}}).cert_file,
       .key_file = pki().dir() + "/wild.key"});
  memory_link link(server.get(), verifying("www.test"));
  EXPECT_FALSE(link.handshake());
  EXPECT_EQ(SSL_get_verify_result(link.client()), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(TlsHandshake, RefusesExpiredCertificate) {
  const auto files =
      pki().write_server("expired", cert_spec{.dns_names = {"server.test"},
                                              .valid_from = std::chrono::hours(-48),
                                              .valid_until = std::chrono::hours(-24)});
  const auto server = server_ctx({.cert_file = files.cert_file, .key_file = files.key_file});
  memory_link link(server.get(), verifying("server.test"));
  EXPECT_FALSE(link.handshake());
  EXPECT_EQ(SSL_get_verify_result(link.client()), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(TlsHandshake, RefusesUnknownCa) {
  const test_pki stranger;
  const auto files = stranger.write_server("stranger", cert_spec{.dns_names = {"server.test"}});
  const auto server = server_ctx({.cert_file = files.cert_file, .key_file = files.key_file});
  memory_link link(server.get(), verifying("server.test"));
  EXPECT_FALSE(link.handshake());
  EXPECT_EQ(SSL_get_verify_result(link.client()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(TlsHandshake, InsecureAcceptsAnything) {
  const test_pki stranger;
  const auto files =
      stranger.write_server("insecure", cert_spec{.dns_names = {"elsewhere.test"},
                                                  .valid_from = std::chrono::hours(-48),
                                                  .valid_until = std::chrono::hours(-24)});
  const auto server = server_ctx({.cert_file = files.cert_file, .key_file = files.key_file});
  memory_link link(server.get(), {.sni = "server.test", .insecure = true});
  EXPECT_TRUE(link.handshake()) << link.client_error();
}

TEST(TlsHandshake, InsecureAcceptsSelfSigned) {
  const auto server = server_ctx({.self_signed_name = "self.test"});
  memory_link link(server.get(), {.sni = "self.test", .insecure = true});
  EXPECT_TRUE(link.handshake()) << link.client_error();
  memory_link strict(server.get(), verifying("self.test"));
  EXPECT_FALSE(strict.handshake());
}

TEST(TlsHandshake, IpLiteralSniVerifiesIpSanAndSendsNoSni) {
  const auto server = server_ctx({});
  for (const char* ip : {"127.0.0.1", "::1"}) {
    memory_link link(server.get(), verifying(ip));
    ASSERT_TRUE(link.handshake()) << ip << ": " << link.client_error();
    EXPECT_EQ(SSL_get_servername(link.server(), TLSEXT_NAMETYPE_host_name), nullptr) << ip;
  }
  memory_link wrong_ip(server.get(), verifying("127.0.0.2"));
  EXPECT_FALSE(wrong_ip.handshake());
  EXPECT_EQ(SSL_get_verify_result(wrong_ip.client()), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

std::string selected_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

TEST(TlsHandshake, WebSocketServerChoosesHttp11) {
  const auto server = server_ctx({.websocket = true});
  client_settings c = verifying("server.test");
  c.alpn = {"h2", "http/1.1"};
  memory_link link(server.get(), c);
  ASSERT_TRUE(link.handshake()) << link.client_error();
  EXPECT_EQ(selected_alpn(link.client()), "http/1.1");

  c.alpn = {"h2"};  // no http/1.1 on offer: the handshake goes on without ALPN
  memory_link h2_only(server.get(), c);
  ASSERT_TRUE(h2_only.handshake()) << h2_only.client_error();
  EXPECT_EQ(selected_alpn(h2_only.client()), "");
}

TEST(TlsHandshake, PlainServerChoosesNoAlpn) {
  const auto server = server_ctx({});
  client_settings c = verifying("server.test");
  c.alpn = {"h2", "http/1.1"};
  memory_link link(server.get(), c);
  ASSERT_TRUE(link.handshake()) << link.client_error();
  EXPECT_EQ(selected_alpn(link.client()), "");
}

// The OCSP response the client received, or "<none>".
std::string received_staple(SSL* client) {
  const unsigned char* data = nullptr;
  const long len = SSL_get_tlsext_status_ocsp_resp(client, &data);
  if (len < 0 || data == nullptr) return "<none>";
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
}

TEST(TlsHandshake, StaplesOcspOnlyWhenAsked) {
  const auto leaf = pki().issue(cert_spec{.dns_names = {"server.test"}});
  const std::string der = pki().ocsp_good(leaf.cert.get());
  const auto server = server_ctx({.cert_file = pki().write_certs("ocsp.crt", {leaf.cert.get()}),
                                  .key_file = pki().write_key("ocsp.key", leaf.key.get()),
                                  .ocsp_file = pki().write_file("ocsp.der", der)});
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {  // CertificateStatus / cert entry
    memory_link asking(server.get(), verifying("server.test"));
    SSL_set_max_proto_version(asking.client(), version);
    ASSERT_EQ(SSL_set_tlsext_status_type(asking.client(), TLSEXT_STATUSTYPE_ocsp), 1);
    ASSERT_TRUE(asking.handshake()) << asking.client_error();
    EXPECT_EQ(received_staple(asking.client()), der) << version;

    memory_link silent(server.get(), verifying("server.test"));
    SSL_set_max_proto_version(silent.client(), version);
    ASSERT_TRUE(silent.handshake());
    EXPECT_EQ(received_staple(silent.client()), "<none>") << version;
  }
}

TEST(TlsHandshake, ServerWithoutOcspFileNeverStaples) {
  const auto server = server_ctx({});
  memory_link asking(server.get(), verifying("server.test"));
  ASSERT_EQ(SSL_set_tlsext_status_type(asking.client(), TLSEXT_STATUSTYPE_ocsp), 1);
  ASSERT_TRUE(asking.handshake()) << asking.client_error();
  EXPECT_EQ(received_staple(asking.client()), "<none>");
}

TEST(TlsHandshake, NegotiatesTls12AndTls13) {
  const auto server = server_ctx({});
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    memory_link link(server.get(), verifying("server.test"));
    SSL_set_max_proto_version(link.client(), version);
    ASSERT_TRUE(link.handshake()) << link.client_error();
    EXPECT_EQ(SSL_version(link.client()), version);
    const SSL_CIPHER* cipher = SSL_get_current_cipher(link.client());
    EXPECT_EQ(SSL_CIPHER_is_aead(cipher), 1) << SSL_CIPHER_get_name(cipher);
  }
}

TEST(TlsHandshake, RefusesTls11) {
  const auto server = server_ctx({});
  memory_link link(server.get(), verifying("server.test"));
  // Let the client offer TLS 1.1 with old suites, so that it is the server that refuses.
  SSL_set_security_level(link.client(), 0);
  SSL_set_min_proto_version(link.client(), TLS1_1_VERSION);
  SSL_set_max_proto_version(link.client(), TLS1_1_VERSION);
  ASSERT_EQ(SSL_set_cipher_list(link.client(), "DEFAULT:@SECLEVEL=0"), 1);
  EXPECT_FALSE(link.handshake());
  EXPECT_NE(link.server_error().find("unsupported protocol"), std::string::npos)
      << link.server_error();
}

// Sends `data` as early data on `link` and completes the handshake; returns what the
// server read as early data ("" when it refused it).
std::string exchange_early_data(memory_link& link, const std::string& data) {
  std::size_t written = 0;
  EXPECT_EQ(SSL_write_early_data(link.client(), data.data(), data.size(), &written), 1)
      << kmr::tls::take_openssl_errors();
  std::string got;
  for (int turn = 0; turn < 50; ++turn) {
    char buf[256];
    std::size_t n = 0;
    const int r = SSL_read_early_data(link.server(), buf, sizeof buf, &n);
    if (r == SSL_READ_EARLY_DATA_SUCCESS) got.append(buf, n);
    if (r == SSL_READ_EARLY_DATA_FINISH) break;
    if (r == SSL_READ_EARLY_DATA_ERROR && SSL_get_error(link.server(), r) != SSL_ERROR_WANT_READ) {
      ADD_FAILURE() << "server: " << kmr::tls::take_openssl_errors();
      break;
    }
    SSL_do_handshake(link.client());  // answers the server's flight (EndOfEarlyData, Finished)
  }
  EXPECT_TRUE(link.handshake()) << link.client_error() << " | " << link.server_error();
  return got;
}

using session_owner = std::unique_ptr<SSL_SESSION, kmr::tls::openssl_free<SSL_SESSION_free>>;

// A fresh copy of a serialised ticket. OpenSSL clients use a TLS 1.3 ticket only once, so
// a replay has to start from bytes, like an attacker's copy of the ClientHello's ticket.
session_owner session_from(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return session_owner(d2i_SSL_SESSION(nullptr, &p, static_cast<long>(der.size())));
}

TEST(TlsHandshake, AcceptsEarlyDataOnceOnResumption) {
  const auto server = server_ctx({});
  client_settings c = verifying("server.test");
  c.early_data = true;
  memory_link first(server.get(), c);
  ASSERT_TRUE(first.handshake()) << first.client_error();
  char byte = 0;
  EXPECT_LE(SSL_read(first.client(), &byte, 1), 0);  // takes in the NewSessionTickets
  ERR_clear_error();
  const session_owner ticket(SSL_get1_session(first.client()));
  ASSERT_TRUE(ticket);
  EXPECT_EQ(SSL_SESSION_get_max_early_data(ticket.get()), 16384u);
  unsigned char* der = nullptr;
  const int der_size = i2d_SSL_SESSION(ticket.get(), &der);
  ASSERT_GT(der_size, 0);
  const std::string saved(reinterpret_cast<const char*>(der), static_cast<std::size_t>(der_size));
  OPENSSL_free(der);

  memory_link resumed(server.get(), c);
  ASSERT_EQ(SSL_set_session(resumed.client(), session_from(saved).get()), 1);
  EXPECT_EQ(exchange_early_data(resumed, "GET / HTTP/1.1"), "GET / HTTP/1.1");
  EXPECT_EQ(SSL_session_reused(resumed.client()), 1);
  EXPECT_EQ(SSL_get_early_data_status(resumed.client()), SSL_EARLY_DATA_ACCEPTED);

  // The same ticket again is a replay: OpenSSL's anti-replay refuses its early data.
  memory_link replayed(server.get(), c);
  ASSERT_EQ(SSL_set_session(replayed.client(), session_from(saved).get()), 1);
  EXPECT_EQ(exchange_early_data(replayed, "GET / HTTP/1.1"), "");
  EXPECT_EQ(SSL_get_early_data_status(replayed.client()), SSL_EARLY_DATA_REJECTED);
}

}  // namespace

// SPDX-License-Identifier: MIT
#include "tls/context.hpp"  // first: the header must compile on its own

#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <set>
#include <string>

namespace {

using kmr::test::cert_spec;
using kmr::test::test_pki;
using kmr::tls::client_settings;
using kmr::tls::make_client_context;
using kmr::tls::make_server_context;
using kmr::tls::server_settings;

test_pki& pki() {
  static test_pki instance;
  return instance;
}

const test_pki::server_files& server_files() {
  static const auto files = pki().write_server("server", cert_spec{.dns_names = {"server.test"}});
  return files;
}

std::set<std::string> cipher_names(SSL_CTX* ctx) {
  std::set<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i)
    names.insert(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
  return names;
}

// Settings both roles share: versions, suites, buffers, renegotiation, EOF strictness.
void expect_common_settings(SSL_CTX* ctx) {
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
  EXPECT_EQ(cipher_names(ctx),
            (std::set<std::string>{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                   "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                   "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
                                   "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
                                   "ECDHE-RSA-CHACHA20-POLY1305"}));
  EXPECT_NE(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_EQ(SSL_CTX_get_options(ctx) & SSL_OP_IGNORE_UNEXPECTED_EOF, 0u);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsContext, ClientVerifiesByDefaultAndAsksNoOcsp) {
  const auto ctx = make_client_context(client_settings{.sni = "server.test"});
  ASSERT_TRUE(ctx) << ctx.error().message;
  expect_common_settings(ctx->get());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get_tlsext_status_type(ctx->get()), -1);  // no status_request
  // Resumption is on without 0rtt too, as in the original; tickets live outside OpenSSL.
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx->get()), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
}

TEST(TlsContext, ClientSkipsVerificationWhenInsecure) {
  const auto ctx = make_client_context(client_settings{.sni = "server.test", .insecure = true});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()), SSL_VERIFY_NONE);
}

TEST(TlsContext, ClientKeepsSessionsOutsideOpensslWithEarlyData) {
  const auto ctx = make_client_context(client_settings{.sni = "server.test", .early_data = true});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx->get()),
            SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  EXPECT_EQ(SSL_CTX_sess_get_new_cb(ctx->get()), nullptr);  // the stream installs its own
}

TEST(TlsContext, ClientLoadsCaFile) {
  const auto ctx =
      make_client_context(client_settings{.sni = "server.test", .ca_file = pki().ca_file()});
  ASSERT_TRUE(ctx) << ctx.error().message;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsContext, ClientRefusesMissingEmptyOrGarbageCaFile) {
  const std::string missing = pki().dir() + "/no-ca.pem";
  auto ctx = make_client_context(client_settings{.sni = "s", .ca_file = missing});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "ca");
  EXPECT_EQ(ctx.error().message, "cannot read " + missing + ": No such file or directory");

  const std::string empty = pki().write_file("empty-ca.pem", "");
  ctx = make_client_context(client_settings{.sni = "s", .ca_file = empty});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().message, empty + " is empty; it should hold PEM CA certificates");

  const std::string garbage = pki().write_file("garbage-ca.pem", "not a certificate\n");
  ctx = make_client_context(client_settings{.sni = "s", .ca_file = garbage});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "ca");
  EXPECT_EQ(ctx.error().message.rfind("cannot load " + garbage + ": ", 0), 0u)
      << ctx.error().message;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsContext, ClientRefusesBadAlpnEntries) {
  for (const auto& bad :
       {std::vector<std::string>{"h2", ""}, std::vector<std::string>{std::string(256, 'x')}}) {
    const auto ctx = make_client_context(client_settings{.sni = "s", .alpn = bad});
    ASSERT_FALSE(ctx);
    EXPECT_EQ(ctx.error().key, "alpn");
  }
  EXPECT_TRUE(make_client_context(client_settings{.sni = "s", .alpn = {std::string(255, 'x')}}));
}

TEST(TlsContext, ClientRefusesEmptySni) {
  const auto ctx = make_client_context(client_settings{});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "sni");
}

TEST(TlsContext, PrepareClientSslRefusesEmptySni) {
  const auto ctx = make_client_context(client_settings{.sni = "s"});
  ASSERT_TRUE(ctx);
  const std::unique_ptr<SSL, kmr::tls::openssl_free<SSL_free>> ssl(SSL_new(ctx->get()));
  EXPECT_FALSE(kmr::tls::prepare_client_ssl(ssl.get(), client_settings{}));
  EXPECT_FALSE(kmr::tls::prepare_client_ssl(nullptr, client_settings{.sni = "s"}));
  EXPECT_TRUE(kmr::tls::prepare_client_ssl(ssl.get(), client_settings{.sni = "s"}));
}

TEST(TlsContext, ServerAcceptsEarlyDataWithReplayProtection) {
  const auto ctx = make_server_context(
      server_settings{.cert_file = server_files().cert_file, .key_file = server_files().key_file});
  ASSERT_TRUE(ctx) << ctx.error().message;
  expect_common_settings(ctx->get());
  EXPECT_EQ(SSL_CTX_get_max_early_data(ctx->get()), 16384u);
  EXPECT_EQ(SSL_CTX_get_recv_max_early_data(ctx->get()), 16384u);
  EXPECT_EQ(SSL_CTX_get_options(ctx->get()) & (SSL_OP_NO_ANTI_REPLAY | SSL_OP_NO_TICKET), 0u);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx->get()), SSL_SESS_CACHE_SERVER);
  int (*status_cb)(SSL*, void*) = nullptr;
  SSL_CTX_get_tlsext_status_cb(ctx->get(), &status_cb);
  EXPECT_EQ(status_cb, nullptr);  // no ocsp= means no staple at all
}

TEST(TlsContext, ServerBoundsItsSessionCache) {
  const server_settings files{.cert_file = server_files().cert_file, .key_file = server_files().key_file};
  const auto fallback = make_server_context(files);
  ASSERT_TRUE(fallback) << fallback.error().message;
  EXPECT_EQ(SSL_CTX_sess_get_cache_size(fallback->get()), 1024);  // not OpenSSL's 20480
  auto small = files;
  small.session_cache = 7;
  const auto bounded = make_server_context(small);
  ASSERT_TRUE(bounded) << bounded.error().message;
  EXPECT_EQ(SSL_CTX_sess_get_cache_size(bounded->get()), 7);
  auto none = files;
  none.session_cache = 0;  // OpenSSL would read 0 as "no bound"
  const auto refused = make_server_context(none);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().key, "tls-session-cache");
}

TEST(TlsContext, ServerNeedsCertificateOrServername) {
  const auto ctx = make_server_context(server_settings{});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "cert");
  EXPECT_EQ(ctx.error().message, "tls needs cert= and key=, or servername=");
}

// The leaf's CN of a server context, to see which identity won.
std::string server_cn(const server_settings& s) {
  const auto ctx = make_server_context(s);
  if (!ctx) return "error: " + ctx.error().message;
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_CTX_get0_certificate(ctx->get())),
                            NID_commonName, buf, sizeof buf);
  return buf;
}

TEST(TlsContext, ServerPrefersCertAndKeyOverServername) {  // kaminari-wire §3.2
  const auto& f = server_files();
  EXPECT_EQ(
      server_cn(
          {.cert_file = f.cert_file, .key_file = f.key_file, .self_signed_name = "self.test"}),
      "server.test");
  EXPECT_EQ(server_cn({.cert_file = f.cert_file, .self_signed_name = "self.test"}), "self.test");
  EXPECT_EQ(server_cn({.key_file = f.key_file, .self_signed_name = "self.test"}), "self.test");
  const auto half = make_server_context(server_settings{.cert_file = f.cert_file});
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().key, "cert");
}

TEST(TlsContext, ServerReportsCredentialErrorsByKey) {
  const auto& f = server_files();
  const std::string missing = pki().dir() + "/missing.pem";
  auto ctx = make_server_context(server_settings{.cert_file = missing, .key_file = f.key_file});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "cert");
  EXPECT_EQ(ctx.error().message, "cannot read " + missing + ": No such file or directory");
  ctx = make_server_context(server_settings{.cert_file = f.cert_file, .key_file = missing});
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().key, "key");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsContext, ServerRefusesMissingEmptyOrGarbageOcspFile) {
  const auto& f = server_files();
  const std::string missing = pki().dir() + "/missing.ocsp";
  const std::string empty = pki().write_file("empty.ocsp", "");
  const std::string garbage = pki().write_file("garbage.ocsp", std::string("\x30\x03\x0a\x01", 4));
  const std::pair<std::string, std::string> cases[] = {
      {missing, "cannot read " + missing + ": No such file or directory"},
      {empty, empty + " is empty; it should hold a DER OCSP response"},
      {garbage, garbage + " is not a DER OCSP response"},
  };
  for (const auto& [path, message] : cases) {
    const auto ctx = make_server_context(
        server_settings{.cert_file = f.cert_file, .key_file = f.key_file, .ocsp_file = path});
    ASSERT_FALSE(ctx) << path;
    EXPECT_EQ(ctx.error().key, "ocsp");
    EXPECT_EQ(ctx.error().message, message);
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(TlsContext, ServerInstallsOcspStaple) {
  const auto leaf = pki().issue(cert_spec{.dns_names = {"ocsp.test"}});
  const std::string ocsp = pki().write_file("good.ocsp", pki().ocsp_good(leaf.cert.get()));
  const auto& f = server_files();
  const auto ctx = make_server_context(
      server_settings{.cert_file = f.cert_file, .key_file = f.key_file, .ocsp_file = ocsp});
  ASSERT_TRUE(ctx) << ctx.error().message;
  int (*status_cb)(SSL*, void*) = nullptr;
  SSL_CTX_get_tlsext_status_cb(ctx->get(), &status_cb);
  EXPECT_NE(status_cb, nullptr);
}

}  // namespace

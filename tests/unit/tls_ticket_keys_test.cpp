// SPDX-License-Identifier: MIT
// Resumption across a rebuilt server context, with real in-memory handshakes: a ticket
// from context A is offered to a new context (same settings, new certificate) and
// SSL_session_reused says whether it resumed.
#include "tls/ticket_keys.hpp"  // first: the header must compile on its own

#include "support/ssl_memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <array>
#include <string>

namespace {

using kmr::test::cert_spec;
using kmr::test::test_pki;
using kmr::tls::ssl_ctx_ptr;
using ssl_owner = std::unique_ptr<SSL, kmr::tls::openssl_free<SSL_free>>;
using session_owner = std::unique_ptr<SSL_SESSION, kmr::tls::openssl_free<SSL_SESSION_free>>;

test_pki& pki() {
  static test_pki instance;
  return instance;
}

// A server context as kaminaris builds it, with a fresh certificate for "server.test":
// each call is what a reload after certificate renewal produces.
ssl_ctx_ptr server_ctx(const std::string& name, bool with_ocsp = false) {
  const auto leaf = pki().issue(cert_spec{.dns_names = {"server.test"}});
  kmr::tls::server_settings s{.cert_file = pki().write_certs(name + ".crt", {leaf.cert.get()}),
                              .key_file = pki().write_key(name + ".key", leaf.key.get())};
  if (with_ocsp) {
    s.ocsp_file = pki().write_file(name + ".der", pki().ocsp_good(leaf.cert.get()));
  }
  auto ctx = kmr::tls::make_server_context(s);
  if (!ctx) ADD_FAILURE() << ctx.error().key << ": " << ctx.error().message;
  return ctx ? std::move(*ctx) : nullptr;
}

// OpenSSL sends TLS 1.3 tickets as stateless (key-encrypted) ones only when early data
// is off; with early data and anti-replay on, they are ids into the context's cache.
ssl_ctx_ptr stateless_ctx(const std::string& name) {
  auto ctx = server_ctx(name);
  if (ctx) {
    EXPECT_EQ(SSL_CTX_set_max_early_data(ctx.get(), 0), 1);
  }
  return ctx;
}

const ssl_ctx_ptr& client_ctx() {
  static const ssl_ctx_ptr ctx = [] {
    auto made = kmr::tls::make_client_context({.sni = "server.test", .ca_file = pki().ca_file()});
    return made ? std::move(*made) : nullptr;
  }();
  return ctx;
}

// A client SSL (limited to `version`, offering `ticket` when given) joined to `server`
// by a BIO pair; both are driven in turn until done.
class memory_link {
 public:
  memory_link(ssl_owner server, int version, const std::string& ticket = {})
      : client_(SSL_new(client_ctx().get())), server_(std::move(server)) {
    if (!client_ || !server_) return;
    EXPECT_TRUE(kmr::tls::prepare_client_ssl(client_.get(), {.sni = "server.test"}));
    SSL_set_max_proto_version(client_.get(), version);
    SSL_set_tlsext_status_type(client_.get(), TLSEXT_STATUSTYPE_ocsp);
    if (!ticket.empty()) {
      // A fresh copy: an OpenSSL client uses a TLS 1.3 ticket only once.
      const auto* p = reinterpret_cast<const unsigned char*>(ticket.data());
      const session_owner session(d2i_SSL_SESSION(nullptr, &p, static_cast<long>(ticket.size())));
      EXPECT_EQ(SSL_set_session(client_.get(), session.get()), 1);
    }
    EXPECT_TRUE(kmr::test::join_in_memory(client_.get(), server_.get()));
  }

  SSL* client() const { return client_.get(); }

  bool handshake() {
    if (!client_ || !server_) return false;
    bool client_done = false;
    bool server_done = false;
    for (int turn = 0; turn < 50 && !(client_done && server_done); ++turn) {
      if (!client_done && !step(client_.get(), client_done)) return false;
      if (!server_done && !step(server_.get(), server_done)) return false;
    }
    return client_done && server_done;
  }

  // The session the client would store, with the tickets the server sent after the
  // handshake taken in (TLS 1.3 sends them then), serialised. Both sides then send
  // close_notify: OpenSSL drops the session of an SSL freed without it from the server
  // cache (ssl_clear_bad_session), and with it the newest stateful TLS 1.3 ticket.
  std::string ticket() {
    char byte = 0;
    EXPECT_LE(SSL_read(client_.get(), &byte, 1), 0);
    ERR_clear_error();
    SSL_shutdown(server_.get());
    SSL_shutdown(client_.get());
    const session_owner session(SSL_get1_session(client_.get()));
    unsigned char* der = nullptr;
    const int n = session ? i2d_SSL_SESSION(session.get(), &der) : 0;
    std::string out(reinterpret_cast<const char*>(der), n > 0 ? static_cast<std::size_t>(n) : 0);
    OPENSSL_free(der);
    return out;
  }

 private:
  static bool step(SSL* ssl, bool& done) {
    const int r = SSL_do_handshake(ssl);
    const int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
    done = r == 1;
    if (done || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    ADD_FAILURE() << "handshake: " << kmr::tls::take_openssl_errors();
    return false;
  }

  ssl_owner client_;
  ssl_owner server_;
};

ssl_owner new_ssl(SSL_CTX* ctx) { return ssl_owner(SSL_new(ctx)); }

// A full handshake on `server` and the ticket it issued.
std::string ticket_from(SSL_CTX* server, int version) {
  memory_link link(new_ssl(server), version);
  EXPECT_TRUE(link.handshake());
  EXPECT_EQ(SSL_session_reused(link.client()), 0);
  const std::string ticket = link.ticket();
  EXPECT_FALSE(ticket.empty());
  return ticket;
}

// Whether `ticket` resumes on `server`; the handshake has to succeed either way.
int resumed(ssl_owner server, int version, const std::string& ticket) {
  memory_link link(std::move(server), version, ticket);
  EXPECT_TRUE(link.handshake());
  EXPECT_EQ(SSL_version(link.client()), version);
  return SSL_session_reused(link.client());
}

std::string serial_of(const X509* cert) {
  const kmr::tls::bignum_ptr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex != nullptr ? hex : "");
  OPENSSL_free(hex);
  return out;
}

TEST(TlsTicketKeys, CopiesTheEightyBytesOpensslExpects) {
  const auto a = server_ctx("len-a");
  const auto b = server_ctx("len-b");
  ASSERT_EQ(SSL_CTX_get_tlsext_ticket_keys(a.get(), nullptr, 0), 80);
  std::array<unsigned char, 80> from{};
  std::array<unsigned char, 80> to{};
  ASSERT_EQ(SSL_CTX_get_tlsext_ticket_keys(a.get(), from.data(), 80), 1);
  ASSERT_EQ(SSL_CTX_get_tlsext_ticket_keys(b.get(), to.data(), 80), 1);
  EXPECT_NE(from, to);  // every context draws its own random keys
  ASSERT_TRUE(kmr::tls::copy_ticket_keys(a.get(), b.get()));
  ASSERT_EQ(SSL_CTX_get_tlsext_ticket_keys(b.get(), to.data(), 80), 1);
  EXPECT_EQ(from, to);
  EXPECT_FALSE(kmr::tls::copy_ticket_keys(nullptr, b.get()));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsTicketKeys, CopiedKeysResumeTls12Tickets) {
  const auto a = server_ctx("tls12-a");
  const std::string ticket = ticket_from(a.get(), TLS1_2_VERSION);
  const auto b = server_ctx("tls12-b");
  EXPECT_EQ(resumed(new_ssl(b.get()), TLS1_2_VERSION, ticket), 0);
  const auto c = server_ctx("tls12-c");
  ASSERT_TRUE(kmr::tls::copy_ticket_keys(a.get(), c.get()));
  EXPECT_EQ(resumed(new_ssl(c.get()), TLS1_2_VERSION, ticket), 1);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsTicketKeys, CopiedKeysResumeStatelessTls13Tickets) {
  const auto a = stateless_ctx("tls13-a");
  const std::string ticket = ticket_from(a.get(), TLS1_3_VERSION);
  const auto b = stateless_ctx("tls13-b");
  EXPECT_EQ(resumed(new_ssl(b.get()), TLS1_3_VERSION, ticket), 0);
  const auto c = stateless_ctx("tls13-c");
  ASSERT_TRUE(kmr::tls::copy_ticket_keys(a.get(), c.get()));
  EXPECT_EQ(resumed(new_ssl(c.get()), TLS1_3_VERSION, ticket), 1);
}

// kaminaris's own contexts accept early data, so its TLS 1.3 tickets live in A's cache:
// copied keys are not enough (this test says so if OpenSSL ever changes), but an SSL made
// from A and switched to the new context resumes.
TEST(TlsTicketKeys, StatefulTls13TicketsResumeThroughTheFirstContext) {
  const auto a = server_ctx("stateful-a");
  ASSERT_GT(SSL_CTX_get_max_early_data(a.get()), 0u);
  const std::string ticket = ticket_from(a.get(), TLS1_3_VERSION);
  const auto c = server_ctx("stateful-c");
  ASSERT_TRUE(kmr::tls::copy_ticket_keys(a.get(), c.get()));
  EXPECT_EQ(resumed(new_ssl(c.get()), TLS1_3_VERSION, ticket), 0);

  ssl_owner switched = new_ssl(a.get());
  ASSERT_TRUE(kmr::tls::use_reloaded_context(switched.get(), c.get()));
  EXPECT_EQ(resumed(std::move(switched), TLS1_3_VERSION, ticket), 1);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsTicketKeys, ReloadedContextServesItsCertificateAndStaple) {
  const auto a = server_ctx("serve-a");
  const auto c = server_ctx("serve-c", true);
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    ssl_owner switched = new_ssl(a.get());
    ASSERT_TRUE(kmr::tls::use_reloaded_context(switched.get(), c.get()));
    memory_link link(std::move(switched), version);
    ASSERT_TRUE(link.handshake());
    const kmr::tls::x509_ptr peer(SSL_get1_peer_certificate(link.client()));
    ASSERT_TRUE(peer);
    EXPECT_EQ(serial_of(peer.get()), serial_of(SSL_CTX_get0_certificate(c.get()))) << version;
    const unsigned char* staple = nullptr;
    EXPECT_GT(SSL_get_tlsext_status_ocsp_resp(link.client(), &staple), 0) << version;
    // And a ticket issued there resumes on a later reload in the same way.
    const std::string ticket = link.ticket();
    const auto d = server_ctx("serve-d");
    ssl_owner later = new_ssl(a.get());
    ASSERT_TRUE(kmr::tls::use_reloaded_context(later.get(), d.get()));
    EXPECT_EQ(resumed(std::move(later), version, ticket), 1) << version;
  }
}

}  // namespace

// SPDX-License-Identifier: MIT
// The two ticket caches stay within their bounds however many connections there are:
// the server's session cache (tls-session-cache=) and the client's per-thread store.
// Real TLS 1.3 handshakes in memory, each followed by the client reading the server's
// two NewSessionTicket messages, as a tunnel connection does.
#include "tls/session_store.hpp"  // first: the header must compile on its own

#include "support/ssl_memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <memory>
#include <utility>

namespace {

using kmr::tls::session_store;
using ssl_owner = std::unique_ptr<SSL, kmr::tls::openssl_free<SSL_free>>;

kmr::test::test_pki& pki() {
  static kmr::test::test_pki instance;
  return instance;
}

const kmr::test::test_pki::server_files& server_files() {
  static const auto files = pki().write_server("bounds", kmr::test::cert_spec{.dns_names = {"server.test"}});
  return files;
}

enum class attempt { full, resume };

// Drives one handshake to its end, then lets the client read what followed it (the
// tickets, which reach the store through its new-session callback). With resume, the
// client offers its newest ticket, as the tunnel does. The outcome: handshake done, and
// whether the session was resumed.
std::pair<bool, bool> connect_once(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const kmr::tls::client_settings& c,
                                   session_store& store, attempt how) {
  const ssl_owner client(SSL_new(client_ctx));
  const ssl_owner server(SSL_new(server_ctx));
  if (!client || !server || !kmr::tls::prepare_client_ssl(client.get(), c)) return {false, false};
  kmr::tls::attach_session_store(client.get(), &store);
  if (SSL_SESSION* ticket = how == attempt::resume ? store.take() : nullptr) {
    SSL_set_session(client.get(), ticket);
    SSL_SESSION_free(ticket);
  }
  if (!kmr::test::join_in_memory(client.get(), server.get())) return {false, false};
  bool client_done = false;
  bool server_done = false;
  for (int turn = 0; turn < 20 && !(client_done && server_done); ++turn) {
    if (!client_done) client_done = SSL_do_handshake(client.get()) == 1;
    if (!server_done) server_done = SSL_do_handshake(server.get()) == 1;
  }
  char byte = 0;
  std::size_t got = 0;
  (void)SSL_read_ex(client.get(), &byte, 1, &got);  // WANT_READ after the tickets
  ERR_clear_error();
  SSL_shutdown(client.get());  // a clean close: OpenSSL drops no session for it
  SSL_shutdown(server.get());
  return {client_done && server_done, SSL_session_reused(client.get()) == 1};
}

SSL_SESSION* fresh_session() { return SSL_SESSION_new(); }

}  // namespace

TEST(TlsSessionBounds, StoreKeepsTheNewestUpToItsCapacity) {
  session_store store;
  SSL_SESSION* newest = nullptr;
  for (std::size_t i = 0; i < 3 * session_store::capacity; ++i) {
    newest = fresh_session();
    ASSERT_NE(newest, nullptr);
    store.put(newest);
    EXPECT_LE(store.size(), session_store::capacity);
  }
  EXPECT_EQ(store.size(), session_store::capacity);
  SSL_SESSION* taken = store.take();
  EXPECT_EQ(taken, newest);
  SSL_SESSION_free(taken);
  EXPECT_EQ(store.size(), session_store::capacity - 1);
}

// Many connections opened at once, each a full handshake (a client's store runs dry after
// 8): two tickets each, far more than either cache may hold.
TEST(TlsSessionBounds, ServerCacheAndClientStoreStayBoundedOverManyConnections) {
  constexpr std::size_t cache_bound = 5;
  constexpr int connections = 24;  // 48 tickets issued
  auto server = kmr::tls::make_server_context(
      {.cert_file = server_files().cert_file, .key_file = server_files().key_file, .session_cache = cache_bound});
  ASSERT_TRUE(server) << server.error().message;
  const kmr::tls::client_settings c{.sni = "server.test", .ca_file = pki().ca_file()};
  auto client = kmr::tls::make_client_context(c);
  ASSERT_TRUE(client) << client.error().message;
  kmr::tls::enable_session_stores(client->get());

  session_store store;
  for (int i = 0; i < connections; ++i) {
    ASSERT_TRUE(connect_once(client->get(), server->get(), c, store, attempt::full).first) << "connection " << i;
    EXPECT_LE(SSL_CTX_sess_number(server->get()), static_cast<long>(cache_bound)) << "connection " << i;
    EXPECT_LE(store.size(), session_store::capacity) << "connection " << i;
  }
  // Both caches did fill: the bounds were reached and enforced, not merely unused.
  EXPECT_GT(SSL_CTX_sess_cache_full(server->get()), 0);  // entries dropped for room
  EXPECT_EQ(store.size(), session_store::capacity);
  // A full cache drops its oldest entries, not the new ones: the newest ticket resumes.
  const auto [done, resumed] = connect_once(client->get(), server->get(), c, store, attempt::resume);
  EXPECT_TRUE(done);
  EXPECT_TRUE(resumed);
}

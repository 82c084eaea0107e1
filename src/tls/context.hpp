// SPDX-License-Identifier: MIT
// OpenSSL contexts for both roles, built once at start-up and then shared read-only by
// every worker thread. Everything that can fail (files, keys, certificates) fails here,
// with one line that names the option, never later on a connection.
#pragma once

#include "core/expected.hpp"

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace kmr::tls {

struct client_settings {
  std::string sni{};                // required; a DNS name, or an IP literal (then no SNI is sent)
  std::vector<std::string> alpn{};  // e.g. {"h2", "http/1.1"}; empty: no ALPN extension
  bool insecure = false;            // no certificate verification at all
  bool early_data = false;          // 0rtt: send early data on resumption
  std::string ca_file{};            // extra trusted CA certificates (PEM), beside the system store
};

// The server's session cache: OpenSSL keeps one entry for each TLS 1.3 ticket it issues,
// two per connection, because early data with replay protection needs stateful tickets.
// An entry is about 1 KB, but made during a burst it holds several pages once the burst
// is freed (about 10 KB an entry, measured): with OpenSSL's own bound, 20,480, each burst
// of 10,000 connections left 20 MB more. 1024 entries are 8 tickets for each thread of 64
// two-thread clients, for about 15 MB (docs/operations.md). When full, the oldest entry goes: a client holding
// that ticket makes a full handshake instead of resuming.
inline constexpr std::size_t default_session_cache = 1024;

struct server_settings {
  std::string cert_file{};          // PEM chain, leaf first (DER accepted for a single certificate)
  std::string key_file{};           // PEM (PKCS#8, PKCS#1, SEC1) or DER; RSA, ECDSA or Ed25519
  std::string self_signed_name{};   // used when cert_file/key_file are not both given
  std::string ocsp_file{};          // DER OCSP response, stapled when a client asks
  bool websocket = false;           // choose "http/1.1" from the client's ALPN offer
  std::size_t session_cache = default_session_cache;  // entries, at least 1
};

// A start-up failure: the option to blame and one line for the user.
struct context_error {
  std::string key;  // "cert", "key", "ocsp", "servername", "ca", "sni", "alpn"
  std::string message;
};

struct ssl_ctx_deleter {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_deleter>;

// A client SSL_CTX: TLS 1.2-1.3, modern suites, the system trust store plus ca_file,
// peer verification unless insecure, the ALPN list, never an OCSP status request (some
// original servers staple an empty response), SSL_MODE_RELEASE_BUFFERS, and a client
// session cache for resumption (tickets are stored by tls::session_store).
expected<ssl_ctx_ptr, context_error> make_client_context(const client_settings& s);

// A server SSL_CTX: TLS 1.2-1.3, modern suites, the certificate and key (or a fresh
// self-signed ECDSA P-256 certificate for self_signed_name, with the name as CN and as a
// DNS or IP SAN), the OCSP staple when configured (never an empty one), ALPN selection,
// session tickets (a session cache of at most session_cache entries), early data accepted
// with OpenSSL's replay protection, and SSL_MODE_RELEASE_BUFFERS.
expected<ssl_ctx_ptr, context_error> make_server_context(const server_settings& s);

// Sets up a new client SSL for one connection: SNI (unless the name is an IP literal)
// and the name or IP the certificate must match (unless insecure). False on failure.
bool prepare_client_ssl(SSL* ssl, const client_settings& s);

// The OpenSSL error queue as one line ("error:0A000086:SSL routines::certificate verify
// failed"), and the queue cleared (stale entries corrupt later SSL_get_error results).
std::string take_openssl_errors();

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
#include "tls/context.hpp"

#include "tls/alpn.hpp"
#include "tls/credentials.hpp"
#include "tls/file_bytes.hpp"
#include "tls/ip_literal.hpp"
#include "tls/ocsp.hpp"
#include "tls/openssl_error.hpp"
#include "tls/self_signed.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <climits>
#include <optional>

namespace kmr::tls {
namespace {

// TLS 1.2 suites: the original's (rustls defaults, kaminari-wire §6.1), forward-secret
// AEAD only. Both lists put AES-128-GCM first: as safe here, and measurably cheaper per
// byte than AES-256 (docs/benchmarks.md); servers pick by their own order.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* tls13_suites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384";

// rustls's default per-connection limit would be 0 (no 0-RTT); one record's worth lets a
// WebSocket upgrade request or a first chunk of client data ride in the first flight.
constexpr std::uint32_t max_early_data = 16384;

unexpected<context_error> fail(const char* key, std::string message) {
  ERR_clear_error();
  return unexpected(context_error{key, std::move(message)});
}

// Settings shared by both roles.
std::optional<context_error> apply_common(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 || SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1) {
    return context_error{"tls",
                         "cannot set protocol versions or ciphers: " + take_openssl_reasons()};
  }
  // Idle connections give their 2 x 16 KiB record buffers back (issue 4, item 6).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Read whole records (and what follows) in one read(2) instead of header then body:
  // half the reads on the data path. tls::stream checks SSL_has_pending before it waits.
  SSL_CTX_set_read_ahead(ctx, 1);
  // A FIN without close_notify stays an error, as in the original (kaminari-wire §6.4);
  // cleared explicitly in case a system openssl.cnf sets it.
  SSL_CTX_clear_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return std::nullopt;
}

// The system store always (unlike the original's compiled-in Mozilla roots), plus ca=.
std::optional<context_error> load_trust(SSL_CTX* ctx, const std::string& ca_file) {
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return context_error{"ca", "cannot use the system trust store: " + take_openssl_reasons()};
  }
  if (ca_file.empty()) return std::nullopt;
  // Read first so that a missing file is reported with the system's reason.
  auto bytes = read_file_bytes(ca_file);
  if (!bytes) return context_error{"ca", std::move(bytes).error()};
  if (bytes->empty())
    return context_error{"ca", ca_file + " is empty; it should hold PEM CA certificates"};
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return context_error{"ca", "cannot load " + ca_file + ": " + take_openssl_reasons()};
  }
  return std::nullopt;
}

// cert + key win over servername; with only one of them, servername is used if set
// (kaminari-wire §3.2).
std::optional<context_error> install_identity(SSL_CTX* ctx, const server_settings& s) {
  if (!s.cert_file.empty() && !s.key_file.empty()) {
    return use_credential_files(ctx, s.cert_file, s.key_file);
  }
  if (!s.self_signed_name.empty()) {
    auto made = make_self_signed(s.self_signed_name);
    if (!made) return std::move(made).error();
    const certificate_chain chain{std::move(made->cert), {}};
    return install_credentials(ctx, chain, made->key.get(), "the self-signed certificate",
                               "its key");
  }
  return context_error{"cert", "tls needs cert= and key=, or servername="};
}

// Tickets and 0-RTT. OpenSSL's anti-replay (on unless SSL_OP_NO_ANTI_REPLAY) makes each
// ticket good for one early-data attempt, and it needs the internal server cache.
// The cache is bounded (0 would mean unbounded to OpenSSL); when full, the oldest entry
// makes room.
std::optional<context_error> enable_resumption(SSL_CTX* ctx, std::size_t cache_entries) {
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_ANTI_REPLAY);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  if (cache_entries == 0 || cache_entries > static_cast<std::size_t>(LONG_MAX))
    return context_error{"tls-session-cache", "the session cache needs at least one entry"};
  SSL_CTX_sess_set_cache_size(ctx, static_cast<long>(cache_entries));
  if (SSL_CTX_set_max_early_data(ctx, max_early_data) != 1 ||
      SSL_CTX_set_recv_max_early_data(ctx, max_early_data) != 1) {
    return context_error{"tls", "cannot enable early data: " + take_openssl_reasons()};
  }
  return std::nullopt;
}

}  // namespace

expected<ssl_ctx_ptr, context_error> make_client_context(const client_settings& s) {
  if (s.sni.empty()) return fail("sni", "a server name is required");
  auto alpn = encode_alpn(s.alpn);
  if (!alpn) return unexpected(std::move(alpn).error());
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail("tls", "cannot create a TLS context: " + take_openssl_reasons());
  if (auto e = apply_common(ctx.get())) return unexpected(std::move(*e));
  if (auto e = load_trust(ctx.get(), s.ca_file)) return unexpected(std::move(*e));
  SSL_CTX_set_verify(ctx.get(), s.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  // No SSL_CTX_set_tlsext_status_type: some original servers staple an empty response,
  // which a client that asked must reject (kaminari-wire §6.3.3).
  if (!alpn->empty() &&
      SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(alpn->data()),
                              static_cast<unsigned int>(alpn->size())) != 0) {  // 0 is success
    return fail("alpn", "cannot set the protocol list: " + take_openssl_reasons());
  }
  // Resumption is always on, as in the original (an in-memory client cache): a resumed
  // handshake skips the server's signature and the certificate checks, the bulk of a new
  // connection's CPU. Tickets are kept by the stream's own per-thread store (its
  // new-session callback); the internal cache would only duplicate them. Early data on
  // top of that is what `0rtt` adds.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  ERR_clear_error();
  return ctx;
}

expected<ssl_ctx_ptr, context_error> make_server_context(const server_settings& s) {
  ssl_ctx_ptr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail("tls", "cannot create a TLS context: " + take_openssl_reasons());
  if (auto e = apply_common(ctx.get())) return unexpected(std::move(*e));
  if (auto e = install_identity(ctx.get(), s)) return unexpected(std::move(*e));
  if (!s.ocsp_file.empty()) {
    auto der = load_ocsp_response(s.ocsp_file);
    if (!der) return unexpected(std::move(der).error());
    if (!install_ocsp_staple(ctx.get(), std::move(*der))) {
      return fail("ocsp", "cannot staple " + s.ocsp_file + ": out of memory");
    }
  }
  // Without ws no callback: OpenSSL then ignores the offer, as the original does.
  if (s.websocket) select_http11_alpn(ctx.get());
  if (auto e = enable_resumption(ctx.get(), s.session_cache)) return unexpected(std::move(*e));
  ERR_clear_error();
  return ctx;
}

bool prepare_client_ssl(SSL* ssl, const client_settings& s) {
  if (ssl == nullptr || s.sni.empty()) return false;
  bool ok = true;
  if (is_ip_literal(s.sni)) {
    // RFC 6066 §3: no IP literals in SNI. The name to match is an iPAddress SAN.
    if (!s.insecure) ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s.sni.c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(ssl, s.sni.c_str()) == 1;
    if (ok && !s.insecure) {
      // "*" must be a whole label: "w*.example.com" does not match, as in webpki.
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(ssl, s.sni.c_str()) == 1;
    }
  }
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace kmr::tls

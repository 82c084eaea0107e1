// SPDX-License-Identifier: MIT
// Session resumption across a reload: the server's SSL_CTX is rebuilt with the new
// certificate, and the tickets handed out before the reload must still resume.
#pragma once

#include <openssl/ssl.h>

namespace kmr::tls {

// Gives `to` the ticket keys of `from` (name, HMAC and AES keys), so `to` decrypts the
// stateless tickets `from` issued. False (error queue cleared) when OpenSSL refuses.
// Limit: OpenSSL's TLS 1.3 tickets are stateful (a session id in `from`'s own cache)
// when early data with anti-replay is on, as make_server_context sets it up; keys do
// not carry those over. use_reloaded_context does (see below).
bool copy_ticket_keys(SSL_CTX* from, SSL_CTX* to);

// For a server SSL just made with SSL_new(first), where `first` is a context kept for the
// life of the process: the certificate, key, OCSP staple and ALPN choice now come from
// `current` (the latest reload), while the session cache and ticket keys stay `first`'s
// (OpenSSL's session_ctx), so every ticket, TLS 1.2 or 1.3, stateful or not, resumes.
// Call before the handshake starts. False (error queue cleared) on failure.
bool use_reloaded_context(SSL* ssl, SSL_CTX* current);

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
#include "tls/ticket_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <array>

namespace kmr::tls {

bool copy_ticket_keys(SSL_CTX* from, SSL_CTX* to) {
  if (from == nullptr || to == nullptr) return false;
  // OpenSSL 3.0 keeps a 16-byte key name, a 32-byte HMAC key and a 32-byte AES key, and
  // refuses any other length. Asked with a null buffer, it answers the length it wants,
  // so a future layout shows up as a refusal here instead of a short copy.
  std::array<unsigned char, 80> keys{};
  const long wanted = SSL_CTX_get_tlsext_ticket_keys(from, nullptr, 0);
  bool ok = wanted == static_cast<long>(keys.size());
  ok = ok && SSL_CTX_get_tlsext_ticket_keys(from, keys.data(), wanted) == 1;
  ok = ok && SSL_CTX_set_tlsext_ticket_keys(to, keys.data(), wanted) == 1;
  OPENSSL_cleanse(keys.data(), keys.size());  // these keys decrypt every ticket's secrets
  if (!ok) ERR_clear_error();
  return ok;
}

bool use_reloaded_context(SSL* ssl, SSL_CTX* current) {
  if (ssl == nullptr || current == nullptr) return false;
  // SSL_set_SSL_CTX (the SNI switch) replaces ssl->ctx and the certificate but keeps
  // ssl->session_ctx, the one whose cache and ticket keys resumption consults.
  if (SSL_set_SSL_CTX(ssl, current) != current) {
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace kmr::tls

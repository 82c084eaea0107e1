// SPDX-License-Identifier: MIT
// Two SSL objects joined in memory (a BIO pair), for handshakes in unit tests without
// sockets: `client` connects, `server` accepts. False if OpenSSL cannot make the pair.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>

namespace kmr::test {

inline bool join_in_memory(SSL* client, SSL* server) {
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  if (BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) return false;
  SSL_set_bio(client, client_end, client_end);  // each SSL owns its end
  SSL_set_bio(server, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  return true;
}

}  // namespace kmr::test

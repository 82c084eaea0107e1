// SPDX-License-Identifier: MIT
// Session tickets kept in memory by the client, one store per worker thread (no locks),
// for resumption and TLS 1.3 early data (0-RTT). Each ticket is used once: OpenSSL's
// servers refuse early data on a reused ticket (replay protection), and TLS 1.3 servers
// hand out fresh tickets on every connection anyway.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <deque>

namespace kmr::tls {

class session_store {
 public:
  session_store() = default;
  ~session_store();
  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  // At most this many tickets per thread: a TLS 1.3 server sends two per connection and a
  // connection uses one, so without a bound a client's store would grow with every
  // connection it ever made.
  static constexpr std::size_t capacity = 8;

  void put(SSL_SESSION* session);  // takes ownership; drops the oldest beyond capacity
  SSL_SESSION* take();             // ownership to the caller (the newest); nullptr when empty
  std::size_t size() const noexcept { return sessions_.size(); }

 private:
  std::deque<SSL_SESSION*> sessions_;
};

// On a client context: route new tickets to the store attached to each connection.
void enable_session_stores(SSL_CTX* ctx);
void attach_session_store(SSL* ssl, session_store* store);

}  // namespace kmr::tls

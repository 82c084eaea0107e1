// SPDX-License-Identifier: MIT
#include "tls/session_store.hpp"

namespace kmr::tls {
namespace {

int store_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback: returning 1 takes ownership of the session.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* store = static_cast<session_store*>(SSL_get_ex_data(ssl, store_index()));
  if (!store || !SSL_SESSION_is_resumable(session)) return 0;
  store->put(session);
  return 1;
}

}  // namespace

session_store::~session_store() {
  for (auto* s : sessions_) SSL_SESSION_free(s);
}

void session_store::put(SSL_SESSION* session) {
  sessions_.push_back(session);
  if (sessions_.size() > capacity) {
    SSL_SESSION_free(sessions_.front());
    sessions_.pop_front();
  }
}

SSL_SESSION* session_store::take() {
  if (sessions_.empty()) return nullptr;
  SSL_SESSION* newest = sessions_.back();
  sessions_.pop_back();
  return newest;
}

void enable_session_stores(SSL_CTX* ctx) {
  store_index();  // allocate the index before any thread races for it
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void attach_session_store(SSL* ssl, session_store* store) { SSL_set_ex_data(ssl, store_index(), store); }

}  // namespace kmr::tls

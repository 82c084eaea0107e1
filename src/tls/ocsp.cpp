// SPDX-License-Identifier: MIT
#include "tls/ocsp.hpp"

#include "tls/file_bytes.hpp"
#include "tls/openssl_error.hpp"
#include "tls/openssl_ptr.hpp"

#include <openssl/err.h>

#include <cstring>

namespace kmr::tls {
namespace {

// ex_data free callback: runs for every SSL_CTX when it is freed (ptr is null for those
// without a staple).
void free_staple(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                 void* /*argp*/) {
  delete static_cast<std::string*>(ptr);
}

// Registered once per process; thread-safe through the function-local static.
int staple_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_staple);
  return index;
}

// Status callback (server side). OpenSSL calls it only when the ClientHello carries
// status_request; the type check keeps it correct should that ever change.
int staple_response(SSL* ssl, void* arg) {
  if (SSL_get_tlsext_status_type(ssl) != TLSEXT_STATUSTYPE_ocsp) return SSL_TLSEXT_ERR_NOACK;
  const auto* der = static_cast<const std::string*>(arg);
  // OpenSSL takes ownership of the buffer and frees it with the SSL, hence one copy each.
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der->size()));
  if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;  // no staple beats a failed handshake
  std::memcpy(copy, der->data(), der->size());
  if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der->size())) != 1) {
    OPENSSL_free(copy);
    return SSL_TLSEXT_ERR_NOACK;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

expected<std::string, context_error> load_ocsp_response(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return unexpected(context_error{"ocsp", std::move(bytes).error()});
  if (bytes->empty()) {
    return unexpected(
        context_error{"ocsp", path + " is empty; it should hold a DER OCSP response"});
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  const auto* end = p + bytes->size();
  const ocsp_response_ptr parsed(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(bytes->size())));
  if (!parsed || p != end) {
    ERR_clear_error();
    return unexpected(context_error{"ocsp", path + " is not a DER OCSP response"});
  }
  return std::move(*bytes);
}

bool install_ocsp_staple(SSL_CTX* ctx, std::string der) {
  const int index = staple_index();
  if (index < 0 || der.empty()) {
    ERR_clear_error();
    return false;
  }
  auto owned = std::make_unique<std::string>(std::move(der));
  delete static_cast<std::string*>(SSL_CTX_get_ex_data(ctx, index));  // a second call replaces
  if (SSL_CTX_set_ex_data(ctx, index, owned.get()) != 1) {
    SSL_CTX_set_ex_data(ctx, index, nullptr);
    ERR_clear_error();
    return false;
  }
  const std::string* staple = owned.release();  // owned by the SSL_CTX from here on
  if (SSL_CTX_set_tlsext_status_cb(ctx, staple_response) != 1 ||
      SSL_CTX_set_tlsext_status_arg(ctx, const_cast<std::string*>(staple)) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace kmr::tls

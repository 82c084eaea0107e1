// SPDX-License-Identifier: MIT
#include "support/tls_probe.hpp"

#include "support/tcp_client.hpp"
#include "tls/openssl_error.hpp"
#include "tls/openssl_ptr.hpp"

#include <openssl/ssl.h>
#include <poll.h>

#include <memory>
#include <stdexcept>

namespace kmr::test {
namespace {

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, tls::openssl_free<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, tls::openssl_free<SSL_free>>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("tls probe: " + what + ": " + tls::take_openssl_errors());
}

}  // namespace

std::string serial_hex(const X509* cert) {
  const tls::bignum_ptr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) fail("serial");
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) fail("BN_bn2hex");
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string served_serial(const std::string& host, std::uint16_t port, const std::string& sni, deadline d) {
  const socket_fd fd = connect_tcp(host, port, d);  // non-blocking
  const ssl_ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail("SSL_CTX_new");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  const ssl_ptr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd.get()) != 1) fail("SSL_new");
  if (!sni.empty() && SSL_set_tlsext_host_name(ssl.get(), sni.c_str()) != 1) fail("SNI");
  for (;;) {
    const int r = SSL_connect(ssl.get());
    if (r == 1) break;
    const int e = SSL_get_error(ssl.get(), r);
    short events = 0;
    if (e == SSL_ERROR_WANT_READ) events = POLLIN;
    else if (e == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    else fail("handshake with " + host + ":" + std::to_string(port) + " (SSL error " + std::to_string(e) + ")");
    pollfd p{fd.get(), events, 0};
    if (::poll(&p, 1, poll_timeout_ms(d)) == 0 && clock::now() >= d) fail("handshake timed out");
  }
  const X509* leaf = SSL_get0_peer_certificate(ssl.get());
  if (leaf == nullptr) fail("no certificate");
  std::string serial = serial_hex(leaf);
  SSL_shutdown(ssl.get());  // one try at close_notify; the socket closes either way
  tls::take_openssl_errors();
  return serial;
}

}  // namespace kmr::test

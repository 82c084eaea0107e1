// SPDX-License-Identifier: MIT
#include "tls/alpn.hpp"

#include <cstring>

namespace kmr::tls {
namespace {

constexpr std::size_t max_alpn_name = 255;
// The extension's list length is a u16 (RFC 7301 §3.1), within a u16 extension length.
constexpr std::size_t max_alpn_list = 65535 - 2;

constexpr char http11[] = "http/1.1";
constexpr std::size_t http11_size = sizeof http11 - 1;

// Server callback: `in` is the client's list in wire format, already checked by OpenSSL.
// The chosen name must point into `in`, which outlives the callback's use of it.
int choose_http11(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                  const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  unsigned int pos = 0;
  while (pos < inlen) {
    const unsigned int len = in[pos];
    if (len > inlen - pos - 1) break;
    if (len == http11_size && std::memcmp(in + pos + 1, http11, http11_size) == 0) {
      *out = in + pos + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    pos += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;  // no ALPN in the ServerHello; the handshake goes on
}

}  // namespace

expected<std::string, context_error> encode_alpn(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& name : protocols) {
    if (name.empty() || name.size() > max_alpn_name) {
      return unexpected(context_error{
          "alpn",
          "each protocol name must be 1 to 255 bytes long, not " + std::to_string(name.size())});
    }
    wire += static_cast<char>(name.size());
    wire += name;
  }
  if (wire.size() > max_alpn_list) {
    return unexpected(context_error{"alpn", "the protocol list is longer than 65533 bytes"});
  }
  return wire;
}

void select_http11_alpn(SSL_CTX* ctx) { SSL_CTX_set_alpn_select_cb(ctx, choose_http11, nullptr); }

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// ALPN (RFC 7301) for both roles: the client's offer in wire format, and the server's
// choice, which is "http/1.1" for WebSocket or nothing (the original selects none).
#pragma once

#include "tls/context.hpp"

#include <string>
#include <vector>

namespace kmr::tls {

// {"h2", "http/1.1"} -> "\x02h2\x08http/1.1" (RFC 7301 §3.1). Each name must be 1..255
// bytes and the whole list fit the extension; errors carry the key "alpn".
expected<std::string, context_error> encode_alpn(const std::vector<std::string>& protocols);

// Installs a selection callback that picks "http/1.1" when the client offers it and
// otherwise goes on without ALPN (SSL_TLSEXT_ERR_NOACK), never failing the handshake.
void select_http11_alpn(SSL_CTX* ctx);

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// A bare TLS handshake against a server, to see which certificate it serves right now
// (after a reload, for instance): no verification, nothing sent after the handshake.
#pragma once

#include "support/deadline.hpp"

#include <openssl/x509.h>

#include <cstdint>
#include <string>

namespace kmr::test {

// The certificate's serial as uppercase hex, as BN_bn2hex (and `openssl x509 -serial`)
// print it: "4A1F03".
std::string serial_hex(const X509* cert);

// Connects to host:port, runs a TLS handshake sending `sni` (none when empty) and returns
// the serial of the leaf the server presented. Throws std::runtime_error on failure.
std::string served_serial(const std::string& host, std::uint16_t port, const std::string& sni, deadline d);

}  // namespace kmr::test

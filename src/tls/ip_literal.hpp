// SPDX-License-Identifier: MIT
// Whether a TLS name is an IP literal: such a name is never sent as SNI (RFC 6066 §3
// allows only host names there) and is matched against iPAddress SANs instead.
#pragma once

#include <arpa/inet.h>

#include <string>

namespace kmr::tls {

// True for a dotted IPv4 or an unbracketed IPv6 literal ("127.0.0.1", "::1").
inline bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// The certificate for servername=: a fresh ECDSA P-256 key and a self-signed X.509 v3
// certificate made in memory at every start, like the original (kaminari-wire §6.3.2).
#pragma once

#include "tls/context.hpp"
#include "tls/openssl_ptr.hpp"

#include <string>

namespace kmr::tls {

struct self_signed_credential {
  evp_pkey_ptr key;
  x509_ptr cert;
};

// CN = name (omitted if over 64 characters, the X.520 limit) and one SAN: iPAddress for an
// IP literal, else dNSName; basicConstraints CA:FALSE, keyUsage digitalSignature, EKU
// serverAuth, a random 159-bit serial, valid from an hour ago (clock skew) for one year,
// signed with ecdsa-with-SHA256. Errors carry the key "servername".
expected<self_signed_credential, context_error> make_self_signed(const std::string& name);

}  // namespace kmr::tls

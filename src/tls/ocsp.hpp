// SPDX-License-Identifier: MIT
// OCSP stapling for ocsp=: the DER response read once at start-up and stapled only to
// clients that ask (status_request), never empty (kaminari-wire §6.3.3).
#pragma once

#include "tls/context.hpp"

#include <string>

namespace kmr::tls {

// The file's bytes, refused (key "ocsp") when unreadable, empty, or not one whole DER
// OCSPResponse: a garbage staple would only break clients that check it.
expected<std::string, context_error> load_ocsp_response(const std::string& path);

// Staples a copy of `der` for every client that requests status. The bytes are kept in
// the SSL_CTX's ex_data and freed with it. False on failure (the queue is cleared).
bool install_ocsp_staple(SSL_CTX* ctx, std::string der);

}  // namespace kmr::tls

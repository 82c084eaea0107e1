// SPDX-License-Identifier: MIT
// The OpenSSL error queue turned into text, always emptying it: a stale entry would make
// a later SSL_get_error on the same thread report a failure that is not its own.
#pragma once

#include <string>

namespace kmr::tls {

// Every queued error in full ("error:0A000086:SSL routines::certificate verify failed"),
// joined with "; ", and the queue cleared; "" when it was empty. (Also in context.hpp.)
std::string take_openssl_errors();

// Only the reasons ("no certificate or crl found"), joined with "; ", and the queue
// cleared: short enough for a one-line start-up message. `fallback` when it was empty.
std::string take_openssl_reasons(const char* fallback = "unknown OpenSSL error");

}  // namespace kmr::tls

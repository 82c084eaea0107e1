// SPDX-License-Identifier: MIT
// What the start-up log and a reload say about the server certificate: its subject,
// serial and expiry as one line, and a warning when it expires soon.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <optional>
#include <string>

namespace kmr::tls {

// A warning is due when the certificate expires within this window (or has expired):
// certbot renews 30 days before expiry, so 14 days left means renewal has been failing.
inline constexpr std::chrono::hours expiry_warning_window{24 * 14};

struct certificate_summary {
  std::string subject;  // RFC 2253, one line: "CN=example.com"
  std::string serial;   // uppercase hex without colons, as `openssl x509 -serial` prints it
  std::chrono::system_clock::time_point not_after;
};

// The subject, serial and notAfter of `cert`; nullopt (and the OpenSSL error queue
// cleared) when one cannot be read or `cert` is null.
std::optional<certificate_summary> summarize(const X509* cert);

// summarize() of the context's leaf certificate (the last one installed).
std::optional<certificate_summary> summarize_context(SSL_CTX* ctx);

// "subject CN=example.com, serial 4A1F03, expires 2027-01-02 03:04:05 UTC (in 29 days)",
// or "... (expired 3 days ago)"; whole days when at least one, else whole hours.
std::string describe(const certificate_summary& s, std::chrono::system_clock::time_point now);

// True when notAfter is at most `window` after `now` (so also when already expired).
bool expires_within(const certificate_summary& s, std::chrono::seconds window,
                    std::chrono::system_clock::time_point now);

// "certificate FILE expires in 3 days (2027-01-02 03:04:05 UTC)" (or "expired 2 hours
// ago") when it expires within expiry_warning_window of `now`; "" otherwise.
std::string expiry_warning(const certificate_summary& s, const std::string& file,
                           std::chrono::system_clock::time_point now);

}  // namespace kmr::tls

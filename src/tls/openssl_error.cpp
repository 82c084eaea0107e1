// SPDX-License-Identifier: MIT
#include "tls/openssl_error.hpp"

#include <openssl/err.h>

namespace kmr::tls {
namespace {

// Appends the error's extra text (a file name, "Verify error:...") when it has one.
void append_data(std::string& out, const char* data, int flags) {
  if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
    out += " (";
    out += data;
    out += ')';
  }
}

}  // namespace

// ERR_get_error pops the oldest entry, so the text reads in the order things failed.
std::string take_openssl_errors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    append_data(out, data, flags);
  }
  return out;
}

std::string take_openssl_reasons(const char* fallback) {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    std::string reason;
    if (const char* r = ERR_reason_error_string(e)) {
      reason = r;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      reason = buf;
    }
    // The same reason is often queued by several layers (decoder, PEM, SSL): say it once.
    if (out.find(reason) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += reason;
    append_data(out, data, flags);
  }
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace kmr::tls

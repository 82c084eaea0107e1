// SPDX-License-Identifier: MIT
#include "core/quoted_text.hpp"

#include <cstddef>
#include <cstdio>

namespace kmr {

namespace {
constexpr std::size_t max_quoted = 64;  // keeps error lines short for hostile input
}

std::string quoted_for_log(std::string_view text) {
  std::string out = "'";
  const std::size_t n = text.size() < max_quoted ? text.size() : max_quoted;
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b >= 0x7f || b == '\'' || b == '\\') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      out += hex;
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
  if (n < text.size()) out += "...";
  out.push_back('\'');
  return out;
}

}  // namespace kmr

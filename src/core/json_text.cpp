// SPDX-License-Identifier: MIT
#include "core/json_text.hpp"

#include <cstddef>

namespace kmr {
namespace {

struct lead {
  std::size_t continuations;  // 0: not a valid lead byte
  unsigned char second_low;   // the second byte's range, narrower than 80..BF for the leads
  unsigned char second_high;  // that would otherwise allow overlongs, surrogates or > 10FFFF
};

// Unicode 15 Table 3-7, "Well-Formed UTF-8 Byte Sequences".
lead classify(unsigned char b) noexcept {
  if (b >= 0xc2 && b <= 0xdf) return {1, 0x80, 0xbf};
  if (b == 0xe0) return {2, 0xa0, 0xbf};  // E0 80..9F would be overlong
  if (b == 0xed) return {2, 0x80, 0x9f};  // ED A0..BF would be a surrogate, D800..DFFF
  if (b >= 0xe1 && b <= 0xef) return {2, 0x80, 0xbf};
  if (b == 0xf0) return {3, 0x90, 0xbf};  // F0 80..8F would be overlong
  if (b >= 0xf1 && b <= 0xf3) return {3, 0x80, 0xbf};
  if (b == 0xf4) return {3, 0x80, 0x8f};  // F4 90.. would be above 10FFFF
  return {0, 0, 0};                       // 80..C1 (stray or overlong) and F5..FF
}

void append_ascii(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (c < 0x20 || c == 0x7f) {
    const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
    out.append(escaped, sizeof escaped);
  } else {
    out.push_back(static_cast<char>(c));
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  const auto byte = [s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      append_ascii(out, b);
      ++i;
      continue;
    }
    const lead l = classify(b);
    // Accept continuation bytes while they fit; the first misfit (or the end of the input)
    // ends the maximal subpart, which is replaced as a whole, and is looked at afresh.
    std::size_t j = i + 1;
    std::size_t seen = 0;
    while (seen < l.continuations && j < s.size()) {
      const unsigned char low = seen == 0 ? l.second_low : 0x80;
      const unsigned char high = seen == 0 ? l.second_high : 0xbf;
      if (byte(j) < low || byte(j) > high) break;
      ++j;
      ++seen;
    }
    if (l.continuations != 0 && seen == l.continuations) out.append(s.substr(i, j - i));
    else out += "\\ufffd";
    i = j;
  }
  out.push_back('"');
}

}  // namespace kmr

// SPDX-License-Identifier: MIT
// libFuzzer target: JSON strings for log lines. For any bytes, append_json_string must
// give one quoted string of valid UTF-8 with no raw control byte and no unescaped quote
// inside, leave what was in the buffer alone, and, when the input was valid UTF-8,
// unescape back to exactly the input. The UTF-8 check here decodes code points, not the
// byte-range table the code under test uses, so the two can catch each other out.
#include "core/json_text.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) n = 0, cp = b;
    else if ((b & 0xe0) == 0xc0) n = 1, cp = b & 0x1f;
    else if ((b & 0xf0) == 0xe0) n = 2, cp = b & 0x0f;
    else if ((b & 0xf8) == 0xf0) n = 3, cp = b & 0x07;
    else return false;
    if (i + n >= s.size()) return false;  // truncated
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    static constexpr std::uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | cp >> 6));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xe0 | cp >> 12));
    out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// The string between the quotes with JSON's escapes undone; nullopt for anything a JSON
// parser would reject (raw control byte, unescaped quote inside, unknown escape).
std::optional<std::string> unescape(std::string_view q) {
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return std::nullopt;
  const std::string_view body = q.substr(1, q.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c < 0x20 || c == 0x7f || c == '"') return std::nullopt;
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    switch (body[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        if (i + 4 >= body.size()) return std::nullopt;
        std::uint32_t cp = 0;
        for (std::size_t k = i + 1; k <= i + 4; ++k) {
          const char h = body[k];
          const int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
          if (digit < 0) return std::nullopt;  // we write lowercase hex only
          cp = cp << 4 | static_cast<std::uint32_t>(digit);
        }
        if (cp >= 0xd800 && cp <= 0xdfff) return std::nullopt;
        append_utf8(out, cp);
        i += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out = "prefix:";
  kmr::append_json_string(out, input);
  check(out.starts_with("prefix:"));
  const std::string_view quoted = std::string_view(out).substr(7);
  check(quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"');
  check(valid_utf8(quoted));
  for (const char c : quoted) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  const auto text = unescape(quoted);
  check(text.has_value());
  if (valid_utf8(input)) check(*text == input);
  return 0;
}

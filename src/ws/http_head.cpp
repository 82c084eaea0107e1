// SPDX-License-Identifier: MIT
#include "ws/http_head.hpp"

#include <algorithm>

namespace kmr::ws::detail {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// tchar (RFC 9110 §5.6.2): the characters of methods and header names.
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Visible ASCII or obs-text: request-target and reason-phrase bytes that are not space.
bool is_visible(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u > 0x20 && u != 0x7f);
}

// field-value bytes (RFC 9110 §5.5): visible, obs-text, SP, HTAB. No NUL, CR or LF.
bool is_field_char(char c) noexcept { return is_visible(c) || c == ' ' || c == '\t'; }

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// Matches `text` against a fixed pattern in which 'D' stands for any digit; a shorter
// `text` must be a prefix of it (so a line can be checked while it is still arriving).
bool matches_prefix(std::string_view text, std::string_view pattern) noexcept {
  if (text.size() > pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (pattern[i] == 'D' ? !is_digit(text[i]) : text[i] != pattern[i]) return false;
  }
  return true;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
// With complete == false, `line` is checked as a prefix of a valid request line.
bool request_line_ok(std::string_view line, bool complete) noexcept {
  std::size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == line.size()) return !complete;
  if (i == 0 || line[i] != ' ') return false;
  const std::size_t target = ++i;
  while (i < line.size() && is_visible(line[i])) ++i;
  if (i == line.size()) return !complete;
  if (i == target || line[i] != ' ') return false;
  const std::string_view version = line.substr(i + 1);
  constexpr std::string_view pattern = "HTTP/D.D";
  return matches_prefix(version, pattern) && (!complete || version.size() == pattern.size());
}

// status-line = HTTP-version SP status-code SP [reason-phrase] (RFC 9112 §4); a missing
// second space is tolerated, as RFC 9112 §4 asks of clients.
bool status_line_ok(std::string_view line, bool complete) noexcept {
  constexpr std::string_view pattern = "HTTP/D.D DDD";
  if (line.size() <= pattern.size())
    return matches_prefix(line, pattern) && (!complete || line.size() == pattern.size());
  if (!matches_prefix(line.substr(0, pattern.size()), pattern) || line[pattern.size()] != ' ')
    return false;
  return std::all_of(line.begin() + pattern.size() + 1, line.end(), is_field_char);
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). No space before the
// colon (§5.1 says reject), no leading whitespace (obs-fold, §5.2).
bool header_line_ok(std::string_view line, bool complete) noexcept {
  std::size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == line.size()) return !complete;
  if (i == 0 || line[i] != ':') return false;
  return std::all_of(line.begin() + i + 1, line.end(), is_field_char);
}

bool start_line_ok(std::string_view line, start_line_kind kind, bool complete) noexcept {
  return kind == start_line_kind::request ? request_line_ok(line, complete)
                                          : status_line_ok(line, complete);
}

std::string_view strip_cr(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

head_block stop(head_block&& b, head_status status, const char* reason) {
  b.status = status;
  b.reason = reason;
  b.fields.clear();
  return std::move(b);
}

}  // namespace

head_block scan_head(std::string_view bytes, start_line_kind kind, std::size_t max_bytes,
                     std::size_t max_headers) {
  head_block out;
  // Nothing past max_bytes is looked at: a block that does not end within it is too
  // large, whatever follows (so the verdict never depends on how much was read).
  const std::string_view window = bytes.substr(0, std::min(bytes.size(), max_bytes));
  std::size_t pos = 0;
  bool first = true;
  for (;;) {
    const std::size_t lf = window.find('\n', pos);
    if (lf == std::string_view::npos) {
      // The line still arriving: a trailing CR may yet be followed by its LF.
      const std::string_view partial = strip_cr(window.substr(pos));
      const bool ok = first ? start_line_ok(partial, kind, false) : header_line_ok(partial, false);
      if (!ok)
        return stop(std::move(out), head_status::bad_syntax,
                    first ? "malformed start line" : "malformed header line");
      if (bytes.size() >= max_bytes)
        return stop(std::move(out), head_status::too_large, "header block too large");
      return stop(std::move(out), head_status::need_more, nullptr);
    }
    const std::string_view line = strip_cr(window.substr(pos, lf - pos));
    pos = lf + 1;
    if (first) {
      if (!start_line_ok(line, kind, true))
        return stop(std::move(out), head_status::bad_syntax, "malformed start line");
      out.start_line = line;
      first = false;
      continue;
    }
    if (line.empty()) {
      out.status = head_status::complete;
      out.size = pos;
      return out;
    }
    if (!header_line_ok(line, true))
      return stop(std::move(out), head_status::bad_syntax, "malformed header line");
    if (out.fields.size() >= max_headers)
      return stop(std::move(out), head_status::too_large, "too many headers");
    const std::size_t colon = line.find(':');
    out.fields.push_back({line.substr(0, colon), trim_ows(line.substr(colon + 1))});
  }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

bool has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trim_ows(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace kmr::ws::detail

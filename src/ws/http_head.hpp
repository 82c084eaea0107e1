// SPDX-License-Identifier: MIT
// Internals of the upgrade handshake: a linear, never-throwing scanner for an HTTP/1.1
// header block (RFC 9112 §2-5) and the token-list helpers of RFC 9110 §5.6.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace kmr::ws::detail {

struct header_field {
  std::string_view name;
  std::string_view value;  // without the optional whitespace around it (RFC 9110 §5.5)
};

enum class head_status { need_more, complete, bad_syntax, too_large };
enum class start_line_kind { request, status };

struct head_block {
  head_status status = head_status::need_more;
  std::size_t size = 0;         // complete: header block bytes, final empty line included
  std::string_view start_line;  // complete: request or status line, without its line end
  std::vector<header_field> fields;
  const char* reason = nullptr;  // bad_syntax or too_large: what is wrong
};

// Scans `bytes` for a header block of at most `max_bytes` bytes and `max_headers` fields.
// need_more is returned only while `bytes` is a valid prefix under the limits, so every
// malformed line is refused as soon as it is seen, whatever the read boundaries. Lines
// end in CRLF or, leniently (RFC 9112 §2.2 allows it), a bare LF; a bare CR, any other
// control byte, and obs-fold continuation lines (RFC 9112 §5.2) are syntax errors.
head_block scan_head(std::string_view bytes, start_line_kind kind, std::size_t max_bytes,
                     std::size_t max_headers);

// ASCII case-insensitive equality (header names and tokens, RFC 9110 §5.1, §7.8).
bool iequals(std::string_view a, std::string_view b) noexcept;

// True if the comma-separated `list` holds `token`, case-insensitively, ignoring
// whitespace and empty elements (RFC 9110 §5.6.1): "keep-alive, Upgrade" has "upgrade".
bool has_token(std::string_view list, std::string_view token) noexcept;

// Strips optional whitespace (SP, HTAB) from both ends.
std::string_view trim_ows(std::string_view s) noexcept;

}  // namespace kmr::ws::detail

// SPDX-License-Identifier: MIT
// The HTTP/1.1 upgrade of RFC 6455 §4, pure: the original's exact request and response
// bytes (kaminari-wire §5.1, §5.3), HTTP error replies, and the two parsers.
#pragma once

#include "ws/key.hpp"  // accept_key, new_client_key: part of this module's interface

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kmr::ws {

enum class parse_status : std::uint8_t { need_more, ok, reject };

// The original's request byte for byte: lowercase names, fixed order, CRLF; host and
// path verbatim (152 bytes for host example.com, path /ws).
std::string client_request(std::string_view host, std::string_view path, std::string_view key);

// The original's 101 response byte for byte (129 bytes with a 28-character accept).
std::string server_response(std::string_view accept);

// A complete, short HTTP/1.1 error response that closes the connection, for 400, 403,
// 404, 405, 426, 431, 505 (and 500, 503); any other status is sent as 500.
std::string error_response(int status);

struct request_limits {
  std::size_t max_bytes = 16 * 1024;  // header block, final empty line included
  std::size_t max_headers = 100;      // CDNs add many (DESIGN.md §2)
};

// What reverse proxies and CDNs add to say who the client was (ws/forwarded_for.hpp judges
// them). Each is "" when absent; several lines of one name are joined with ", ".
struct forwarding_headers {
  std::string x_forwarded_for, x_real_ip, forwarded;
};

struct request_result {
  parse_status status = parse_status::need_more;
  std::size_t header_size = 0;  // ok: bytes of the header block; later bytes are the caller's
  std::string key;              // ok: Sec-WebSocket-Key, as sent (for accept_key)
  forwarding_headers forwarding;  // ok: as sent
  int http_status = 0;          // reject: 400, 404, 405, 426, 431 or 505
  std::string reason;           // reject: a short text for the log
};

// Validates a client's upgrade request from the bytes read so far (call again with more
// on need_more; need_more only while they are a valid prefix under the limits). Lenient
// where middleboxes vary (token lists, header case and order, Host port, query string),
// strict where the original is lax (key format, duplicates). See handshake.cpp for the
// rules and the order in which they pick the status.
request_result parse_upgrade_request(std::string_view bytes_so_far, std::string_view expected_host,
                                     std::string_view expected_path,
                                     const request_limits& limits = {});

struct response_result {
  parse_status status = parse_status::need_more;
  std::size_t header_size = 0;  // ok: bytes of the header block; later bytes are the caller's
  std::string reason;           // reject: a short text for the log (names the status code)
};

// Validates the server's reply to our upgrade: HTTP/1.1 101, Upgrade and Connection token
// lists naming websocket and upgrade (any case, any order), Sec-WebSocket-Accept equal to
// `expected_accept`.
response_result parse_upgrade_response(std::string_view bytes_so_far,
                                       std::string_view expected_accept,
                                       std::size_t max_bytes = 16 * 1024);

}  // namespace kmr::ws

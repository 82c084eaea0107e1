// SPDX-License-Identifier: MIT
// The metrics endpoint's HTTP: which of its two resources a request asks for, and the
// bytes of the answer. Parsing is the ws server's header scanner (ws/http_head.hpp, fuzzed
// on its own), so the endpoint has the same limits and strictness as the tunnel's port.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kmr::metrics {

enum class http_route { metrics, healthz };

struct request_limits {
  std::size_t max_bytes = 8192;  // the whole head
  std::size_t max_headers = 64;
};

enum class request_verdict { need_more, ok, reject };

struct parsed_request {
  request_verdict verdict = request_verdict::need_more;
  http_route route = http_route::metrics;  // ok
  bool head_only = false;                  // ok: HEAD, the answer has no body
  std::size_t header_size = 0;             // ok: the bytes of the head, final empty line included
  int http_status = 0;                     // reject: 400, 404, 405, 431 or 505
  std::string_view reason;                 // reject: what is wrong, for a debug line
};

// The verdict on the bytes received so far. need_more only while they are a valid prefix
// under the limits, so the verdict never depends on how the bytes were split into reads.
// GET or HEAD (405 otherwise), of /metrics or /healthz with any query string (404
// otherwise), HTTP/1.0 or 1.1 (505 for another major version, 400 for garbage).
parsed_request parse_request(std::string_view bytes, const request_limits& limits = {});

// A whole response: status line, Content-Type, Content-Length, Cache-Control: no-store
// and Connection: close (the endpoint answers one request per connection), then `body`
// unless `head_only`. 405 also gets "Allow: GET, HEAD".
std::string build_response(int status, std::string_view content_type, std::string_view body, bool head_only);

// "OK", "Not Found", ...: the reason phrase of the statuses the endpoint sends.
std::string_view reason_phrase(int status) noexcept;

}  // namespace kmr::metrics

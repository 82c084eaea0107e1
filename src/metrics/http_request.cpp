// SPDX-License-Identifier: MIT
#include "metrics/http_request.hpp"

#include "ws/http_head.hpp"

#include <fmt/core.h>

namespace kmr::metrics {
namespace {

parsed_request reject(int status, std::string_view reason) {
  parsed_request r;
  r.verdict = request_verdict::reject;
  r.http_status = status;
  r.reason = reason;
  return r;
}

}  // namespace

parsed_request parse_request(std::string_view bytes, const request_limits& limits) {
  using ws::detail::head_status;
  const auto head =
      ws::detail::scan_head(bytes, ws::detail::start_line_kind::request, limits.max_bytes, limits.max_headers);
  if (head.status == head_status::need_more) return {};
  if (head.status == head_status::bad_syntax) return reject(400, head.reason ? head.reason : "bad syntax");
  if (head.status == head_status::too_large) return reject(431, head.reason ? head.reason : "too large");
  // scan_head checked the shape: "METHOD SP target SP HTTP/d.d".
  const std::string_view line = head.start_line;
  const std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version[5] != '1') return reject(505, "unsupported HTTP version");
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) return reject(405, "method is not GET or HEAD");
  const std::string_view path = target.substr(0, target.find('?'));
  parsed_request ok;
  if (path == "/metrics")
    ok.route = http_route::metrics;
  else if (path == "/healthz")
    ok.route = http_route::healthz;
  else
    return reject(404, "no such resource");
  ok.verdict = request_verdict::ok;
  ok.head_only = head_only;
  ok.header_size = head.size;
  return ok;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string build_response(int status, std::string_view content_type, std::string_view body, bool head_only) {
  std::string r = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", status,
                              reason_phrase(status), content_type, body.size());
  if (status == 405) r += "Allow: GET, HEAD\r\n";
  r += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (!head_only) r.append(body);
  return r;
}

}  // namespace kmr::metrics

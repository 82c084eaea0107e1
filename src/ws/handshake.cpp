// SPDX-License-Identifier: MIT
#include "ws/handshake.hpp"

#include "ws/http_head.hpp"

#include <algorithm>
#include <array>

namespace kmr::ws {
namespace {

using detail::has_token;
using detail::head_block;
using detail::head_status;
using detail::iequals;

constexpr std::size_t response_max_headers = 100;

struct status_text {
  int code;
  std::string_view phrase;
};

constexpr std::array<status_text, 9> status_texts{{
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {426, "Upgrade Required"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
}};

request_result reject(int status, std::string reason) {
  request_result r;
  r.status = parse_status::reject;
  r.http_status = status;
  r.reason = std::move(reason);
  return r;
}

response_result reject_response(std::string reason) {
  return {parse_status::reject, 0, std::move(reason)};
}

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The host part of a Host value or configured host: "[::1]:80" -> "::1",
// "Example.com:8080" -> "Example.com", "::1" (a bare IPv6 literal) stays as it is.
std::string_view host_part(std::string_view h) noexcept {
  if (!h.empty() && h.front() == '[') {
    const std::size_t close = h.find(']');
    if (close == std::string_view::npos) return h;
    const std::string_view rest = h.substr(close + 1);
    if (rest.empty() || (rest.front() == ':' && all_digits(rest.substr(1))))
      return h.substr(1, close - 1);
    return h;
  }
  const std::size_t colon = h.rfind(':');
  if (colon != std::string_view::npos && h.find(':') == colon && all_digits(h.substr(colon + 1)))
    return h.substr(0, colon);
  return h;
}

// Case-insensitive (RFC 9110 §4.2.3), with or without a port on either side. The original
// wants byte equality (kaminari-wire §5.2), which breaks behind proxies that add ":443".
bool host_matches(std::string_view got, std::string_view expected) noexcept {
  return iequals(got, expected) || iequals(host_part(got), host_part(expected));
}

// Exact, except that a query string is ignored unless the configured path has one.
bool path_matches(std::string_view target, std::string_view expected) noexcept {
  if (expected.find('?') == std::string_view::npos) target = target.substr(0, target.find('?'));
  return target == expected;
}

// The headers the upgrade depends on; each of the single-valued ones may appear once.
struct upgrade_fields {
  std::string_view host, upgrade, key, version;
  int host_n = 0, upgrade_n = 0, key_n = 0, version_n = 0;
  bool connection_upgrade = false;  // Connection may be repeated: its lists combine
};

void note(std::string_view& slot, int& count, std::string_view value) noexcept {
  if (count++ == 0) slot = value;
}

upgrade_fields collect(const head_block& head) noexcept {
  upgrade_fields f;
  for (const auto& h : head.fields) {
    if (iequals(h.name, "host"))
      note(f.host, f.host_n, h.value);
    else if (iequals(h.name, "upgrade"))
      note(f.upgrade, f.upgrade_n, h.value);
    else if (iequals(h.name, "sec-websocket-key"))
      note(f.key, f.key_n, h.value);
    else if (iequals(h.name, "sec-websocket-version"))
      note(f.version, f.version_n, h.value);
    else if (iequals(h.name, "connection") && has_token(h.value, "upgrade"))
      f.connection_upgrade = true;
  }
  return f;
}

// The request line was checked by the scanner: "<method> <target> HTTP/<d>.<d>".
request_result check_request_line(std::string_view line) {
  const std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  const std::string_view method = line.substr(0, sp1);
  const std::string_view version = line.substr(sp2 + 1);
  // RFC 6455 §4.2.1 needs HTTP/1.1 or higher. HTTP/1.0 is our major version, so it is a
  // bad request (400); 505 is for versions with another major number (RFC 9110 §15.6.6).
  // HTTP/1.2+ is handled as 1.1, as RFC 9112 §2.3 asks.
  if (version[5] != '1') return reject(505, "unsupported HTTP version");
  if (version[7] == '0') return reject(400, "HTTP/1.0 cannot upgrade");
  // Methods are case-sensitive (RFC 9110 §9.1); the original also wants exactly "GET".
  if (method != "GET") return reject(405, "method is not GET");
  return {};
}

}  // namespace

std::string client_request(std::string_view host, std::string_view path, std::string_view key) {
  std::string r;
  r.reserve(128 + host.size() + path.size() + key.size());
  r.append("GET ").append(path).append(" HTTP/1.1\r\n");
  r.append("host: ").append(host).append("\r\n");
  r.append("upgrade: websocket\r\n");
  r.append("connection: upgrade\r\n");
  r.append("sec-websocket-key: ").append(key).append("\r\n");
  r.append("sec-websocket-version: 13\r\n\r\n");
  return r;
}

std::string server_response(std::string_view accept) {
  std::string r;
  r.reserve(110 + accept.size());
  r.append("HTTP/1.1 101 Switching Protocols\r\n");
  r.append("upgrade: websocket\r\n");
  r.append("connection: upgrade\r\n");
  r.append("sec-websocket-accept: ").append(accept).append("\r\n\r\n");
  return r;
}

std::string error_response(int status) {
  const auto* it = std::find_if(status_texts.begin(), status_texts.end(),
                                [&](const status_text& s) { return s.code == status; });
  if (it == status_texts.end())
    it = std::find_if(status_texts.begin(), status_texts.end(),
                      [](const status_text& s) { return s.code == 500; });
  const std::string code = std::to_string(it->code);
  const std::string body = code + " " + std::string(it->phrase) + "\n";
  std::string r = "HTTP/1.1 " + code + " " + std::string(it->phrase) + "\r\n";
  if (it->code == 405) r += "allow: GET\r\n";  // RFC 9110 §15.5.6: a 405 names the methods
  if (it->code == 426) {
    // RFC 6455 §4.2.2 / §4.4: say which protocol and version we speak. RFC 9110 §7.8:
    // an Upgrade header comes with the "upgrade" connection option.
    r += "upgrade: websocket\r\nsec-websocket-version: 13\r\nconnection: upgrade, close\r\n";
  } else {
    r += "connection: close\r\n";
  }
  r += "content-type: text/plain\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n";
  return r + body;
}

// Rules, in the order that picks the status of a bad request:
//  syntax (400; too large or too many headers: 431), HTTP version (505, or 400 for 1.0),
//  method (405), duplicate Host/Upgrade/Key/Version (400), missing Host (400), wrong
//  host (404, like a virtual host that does not exist; not 403, which would confirm that
//  something is there), wrong path (404), Upgrade/Connection tokens (426), version 13
//  (426 with our version, RFC 6455 §4.4), a key of 16 base64 bytes (400, RFC 6455 §4.1).
//  Host and path come before the WebSocket headers so that a prober who misses either
//  sees only a 404, as from any web server.
namespace {

void append_field(std::string& into, std::string_view value) {
  if (!into.empty()) into += ", ";
  into += value;
}

// The forwarding headers of a complete header block, several lines of a name joined.
forwarding_headers collect_forwarding(const head_block& head) {
  forwarding_headers out;
  for (const auto& h : head.fields) {
    if (iequals(h.name, "x-forwarded-for")) append_field(out.x_forwarded_for, h.value);
    else if (iequals(h.name, "x-real-ip")) append_field(out.x_real_ip, h.value);
    else if (iequals(h.name, "forwarded")) append_field(out.forwarded, h.value);
  }
  return out;
}

}  // namespace

request_result parse_upgrade_request(std::string_view bytes_so_far, std::string_view expected_host,
                                     std::string_view expected_path, const request_limits& limits) {
  const head_block head = detail::scan_head(bytes_so_far, detail::start_line_kind::request,
                                            limits.max_bytes, limits.max_headers);
  if (head.status == head_status::need_more) return {};
  if (head.status == head_status::bad_syntax) return reject(400, head.reason);
  if (head.status == head_status::too_large) return reject(431, head.reason);
  if (auto r = check_request_line(head.start_line); r.status == parse_status::reject) return r;
  const upgrade_fields f = collect(head);
  if (f.host_n > 1) return reject(400, "duplicate Host header");
  if (f.upgrade_n > 1) return reject(400, "duplicate Upgrade header");
  if (f.key_n > 1) return reject(400, "duplicate Sec-WebSocket-Key header");
  if (f.version_n > 1) return reject(400, "duplicate Sec-WebSocket-Version header");
  if (f.host.empty()) return reject(400, "missing Host header");
  if (!host_matches(f.host, expected_host)) return reject(404, "wrong host");
  const std::string_view line = head.start_line;
  const std::size_t sp1 = line.find(' ');
  if (!path_matches(line.substr(sp1 + 1, line.rfind(' ') - sp1 - 1), expected_path))
    return reject(404, "wrong path");
  if (!has_token(f.upgrade, "websocket")) return reject(426, "no websocket in Upgrade");
  if (!f.connection_upgrade) return reject(426, "no upgrade in Connection");
  if (f.version != "13") return reject(426, "Sec-WebSocket-Version is not 13");
  if (f.key_n == 0) return reject(400, "missing Sec-WebSocket-Key header");
  if (!is_valid_client_key(f.key))
    return reject(400, "Sec-WebSocket-Key is not 16 bytes in base64");
  request_result ok;
  ok.status = parse_status::ok;
  ok.header_size = head.size;
  ok.key = std::string(f.key);
  ok.forwarding = collect_forwarding(head);
  return ok;
}

response_result parse_upgrade_response(std::string_view bytes_so_far,
                                       std::string_view expected_accept, std::size_t max_bytes) {
  const head_block head = detail::scan_head(bytes_so_far, detail::start_line_kind::status,
                                            max_bytes, response_max_headers);
  if (head.status == head_status::need_more) return {};
  if (head.status == head_status::bad_syntax) return reject_response(head.reason);
  if (head.status == head_status::too_large) return reject_response(head.reason);
  const std::string_view line = head.start_line;  // "HTTP/d.d ddd[ reason]", checked
  if (line[5] != '1' || line[7] == '0') return reject_response("not an HTTP/1.1 response");
  if (line.substr(9, 3) != "101")
    return reject_response("status " + std::string(line.substr(9, 3)) + " instead of 101");
  bool upgrade = false, connection = false;
  int accept_n = 0;
  std::string_view accept;
  for (const auto& h : head.fields) {
    if (iequals(h.name, "upgrade"))
      upgrade = upgrade || has_token(h.value, "websocket");
    else if (iequals(h.name, "connection"))
      connection = connection || has_token(h.value, "upgrade");
    else if (iequals(h.name, "sec-websocket-accept") && accept_n++ == 0)
      accept = h.value;
    // RFC 6455 §4.1: we offered no extension; one the server picks anyway (e.g.
    // permessage-deflate) would change the framing, so it fails the handshake. A
    // subprotocol would not, and is ignored.
    else if (iequals(h.name, "sec-websocket-extensions") && !h.value.empty())
      return reject_response("server chose an extension we did not offer");
  }
  if (!upgrade) return reject_response("no websocket in Upgrade");
  if (!connection) return reject_response("no upgrade in Connection");
  if (accept_n != 1)
    return reject_response(accept_n == 0 ? "missing Sec-WebSocket-Accept"
                                         : "duplicate Sec-WebSocket-Accept");
  if (accept != expected_accept) return reject_response("wrong Sec-WebSocket-Accept");
  return {parse_status::ok, head.size, {}};
}

}  // namespace kmr::ws

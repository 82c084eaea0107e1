// SPDX-License-Identifier: MIT
// libFuzzer target: the server's upgrade-request parser on arbitrary bytes. Beyond not
// crashing, the verdict must not depend on how the bytes were split into reads: every
// prefix gets need_more or the final verdict, and an accepted block is a valid upgrade.
#include "ws/handshake.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using kmr::ws::parse_status;
using kmr::ws::parse_upgrade_request;
using kmr::ws::request_limits;
using kmr::ws::request_result;

constexpr std::size_t max_prefix_checked = 2048;  // keeps the quadratic check fast

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

bool same_verdict(const request_result& a, const request_result& b) {
  return a.status == b.status && a.header_size == b.header_size && a.http_status == b.http_status &&
         a.key == b.key;
}

void check_result(std::string_view text, const request_result& r, const request_limits& limits) {
  switch (r.status) {
    case parse_status::need_more:
      check(text.size() < limits.max_bytes);
      break;
    case parse_status::ok:
      check(r.header_size >= 4 && r.header_size <= text.size());
      check(r.header_size <= limits.max_bytes);
      check(text[r.header_size - 1] == '\n');
      check(kmr::ws::is_valid_client_key(r.key));
      break;
    case parse_status::reject:
      check(!r.reason.empty());
      check(r.http_status == 400 || r.http_status == 404 || r.http_status == 405 ||
            r.http_status == 426 || r.http_status == 431 || r.http_status == 505);
      break;
  }
}

void check_all(std::string_view text, std::string_view host, std::string_view path,
               const request_limits& limits, bool prefixes) {
  const request_result whole = parse_upgrade_request(text, host, path, limits);
  check_result(text, whole, limits);
  if (!prefixes || text.size() > max_prefix_checked) return;
  bool decided = false;
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const request_result p = parse_upgrade_request(text.substr(0, n), host, path, limits);
    if (p.status == parse_status::need_more) {
      check(!decided);  // once decided, more bytes never undo the verdict
      continue;
    }
    decided = true;
    check(same_verdict(p, whole));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_all(text, "example.com", "/ws", {}, true);
  check_all(text, "[::1]:8080", "/ws?a=b", {}, false);
  // Small limits, so that the 431 paths are reached often.
  check_all(text, "example.com", "/ws", {size / 2 + 1, size % 7}, size % 3 == 0);
  // Whatever was accepted answers with a response the client side accepts.
  const request_result r = parse_upgrade_request(text, "example.com", "/ws");
  if (r.status == parse_status::ok) {
    const std::string accept = kmr::ws::accept_key(r.key);
    const auto back = kmr::ws::parse_upgrade_response(kmr::ws::server_response(accept), accept);
    check(back.status == parse_status::ok);
  }
  return 0;
}

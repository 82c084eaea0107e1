// SPDX-License-Identifier: MIT
// libFuzzer target: the metrics endpoint's request parser on arbitrary bytes. Beyond not
// crashing: every prefix gets need_more or the final verdict (the split into reads never
// matters), statuses are the documented ones, and an accepted head lies within the input.
#include "metrics/http_request.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using kmr::metrics::parse_request;
using kmr::metrics::parsed_request;
using kmr::metrics::request_limits;
using kmr::metrics::request_verdict;

constexpr std::size_t max_prefix_checked = 2048;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_result(std::string_view text, const parsed_request& r, const request_limits& limits) {
  switch (r.verdict) {
    case request_verdict::need_more: check(text.size() < limits.max_bytes); break;
    case request_verdict::ok:
      check(r.header_size >= 4 && r.header_size <= text.size() && r.header_size <= limits.max_bytes);
      check(text[r.header_size - 1] == '\n');
      break;
    case request_verdict::reject:
      check(r.http_status == 400 || r.http_status == 404 || r.http_status == 405 || r.http_status == 431 ||
            r.http_status == 505);
      check(!r.reason.empty());
      break;
  }
}

bool same(const parsed_request& a, const parsed_request& b) {
  return a.verdict == b.verdict && a.http_status == b.http_status && a.route == b.route &&
         a.head_only == b.head_only && a.header_size == b.header_size;
}

void check_all(std::string_view text, const request_limits& limits, bool prefixes) {
  const parsed_request whole = parse_request(text, limits);
  check_result(text, whole, limits);
  if (!prefixes || text.size() > max_prefix_checked) return;
  bool decided = false;
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const parsed_request p = parse_request(text.substr(0, n), limits);
    if (p.verdict == request_verdict::need_more) {
      check(!decided);
      continue;
    }
    decided = true;
    check(same(p, whole));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_all(text, {}, true);
  check_all(text, {size / 2 + 1, size % 7}, size % 3 == 0);  // small limits reach the 431 paths
  return 0;
}

// SPDX-License-Identifier: MIT
// libFuzzer target: the client's upgrade-response parser on arbitrary bytes. It must not
// crash, and every prefix must get need_more or the final verdict.
#include "ws/handshake.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using kmr::ws::parse_status;
using kmr::ws::parse_upgrade_response;
using kmr::ws::response_result;

constexpr std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455 §1.3
constexpr std::size_t max_prefix_checked = 2048;

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

void check_all(std::string_view text, std::size_t max_bytes) {
  const response_result whole = parse_upgrade_response(text, accept, max_bytes);
  if (whole.status == parse_status::ok) {
    check(whole.header_size >= 4 && whole.header_size <= text.size());
    check(whole.header_size <= max_bytes && text[whole.header_size - 1] == '\n');
  }
  if (whole.status == parse_status::reject) check(!whole.reason.empty());
  if (whole.status == parse_status::need_more) check(text.size() < max_bytes);
  if (text.size() > max_prefix_checked) return;
  bool decided = false;
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const response_result p = parse_upgrade_response(text.substr(0, n), accept, max_bytes);
    if (p.status == parse_status::need_more) {
      check(!decided);
      continue;
    }
    decided = true;
    check(p.status == whole.status && p.header_size == whole.header_size &&
          p.reason == whole.reason);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_all(text, 16 * 1024);
  check_all(text, size / 2 + 1);
  return 0;
}

// SPDX-License-Identifier: MIT
// libFuzzer target: the SIP003 option parser must accept or reject any byte string
// without crashing, and its lookups must agree with the entries it returns.
#include "opt/plugin_options.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

// A failed invariant is a bug, so it must look like a crash to libFuzzer.
void check(bool ok) {
  if (!ok) std::abort();
}

void check_lookups(const kmr::opt::plugin_options& o, std::string_view key) {
  const bool flag = o.has_flag(key);
  const bool present = o.contains(key);
  const auto value = o.value(key);
  // Every entry is either a flag ("k", "k=") or has a non-empty value, so the key is
  // present exactly when one of the two lookups finds it.
  check(present == (flag || value.has_value()));
  check(!value || !value->empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = kmr::opt::plugin_options::parse(text);
  if (!parsed) {
    // The only syntax error is a lone trailing backslash.
    check(!text.empty() && text.back() == '\\' && !parsed.error().message.empty());
    return 0;
  }
  const auto& o = *parsed;
  for (const char* key : {"ws", "tls", "host", "path", "sni", "", "mask", "a b"})
    check_lookups(o, key);
  std::size_t looked_up = 0;
  for (const auto& e : o.entries()) {
    // Each lookup scans all entries; capping them keeps the harness linear and fast.
    if (++looked_up <= 32) check_lookups(o, e.key);
    check(!e.value || e.had_equals);       // a value needs an '='
    check(!e.value || !e.value->empty());  // empty values are stored as absent
    check(!e.key.empty() || e.had_equals);  // empty items are dropped
  }
  return 0;
}

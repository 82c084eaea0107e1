// SPDX-License-Identifier: MIT
// Strict decimal parsing for the numbers systemd passes in environment variables
// (LISTEN_PID, LISTEN_FDS, WATCHDOG_USEC, WATCHDOG_PID).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kmr::sys::detail {

// Digits only, no sign, no spaces, no overflow: "12" -> 12; "", "+1", "-1", " 1", "1x" and
// values above UINT64_MAX -> nullopt. Stricter than strtoul, which skips spaces and wraps
// "-1" to a huge value.
inline std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace kmr::sys::detail

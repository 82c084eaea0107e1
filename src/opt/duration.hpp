// SPDX-License-Identifier: MIT
// Durations in options: "10" or "10s" (seconds), "1.5" (decimal seconds), "500ms", "2m", "1h".
#pragma once

#include "core/expected.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace kmr::opt {

// Non-negative, at most 7 days, resolved to milliseconds. "0" is allowed (callers decide
// whether it means "off"). On failure, the message says what is wrong without the key.
expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

}  // namespace kmr::opt

// SPDX-License-Identifier: MIT
// Logging to stderr with a process-wide level. One write per line, so lines from worker
// threads never interleave. Never call it on the per-chunk path.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <optional>
#include <string_view>

namespace kmr::log {

enum class level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(level l) noexcept;
level current_level() noexcept;
bool enabled(level l) noexcept;
std::optional<level> parse_level(std::string_view name) noexcept;

// Writes "<prefix>: <message>\n" to stderr in a single write(2).
void write_line(level l, std::string_view message) noexcept;

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::error)) write_line(level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::warn)) write_line(level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::info)) write_line(level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::debug)) write_line(level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace kmr::log

// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace kmr::log {
namespace {
std::atomic<int> g_level{static_cast<int>(level::info)};

std::string_view prefix(level l) noexcept {
  switch (l) {
    case level::error: return "error: ";
    case level::warn: return "warn: ";
    case level::info: return "";
    case level::debug: return "debug: ";
  }
  return "";
}
}  // namespace

void set_level(level l) noexcept { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
level current_level() noexcept { return static_cast<level>(g_level.load(std::memory_order_relaxed)); }
bool enabled(level l) noexcept { return static_cast<int>(l) <= g_level.load(std::memory_order_relaxed); }

std::optional<level> parse_level(std::string_view name) noexcept {
  if (name == "error") return level::error;
  if (name == "warn" || name == "warning") return level::warn;
  if (name == "info") return level::info;
  if (name == "debug") return level::debug;
  return std::nullopt;
}

void write_line(level l, std::string_view message) noexcept {
  try {
    std::string line;
    line.reserve(message.size() + 16);
    line.append(prefix(l)).append(message).push_back('\n');
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // stderr closed: nothing useful to do
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  } catch (...) {
    // Out of memory while logging: drop the line rather than end the process.
  }
}

}  // namespace kmr::log

// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include "core/json_text.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <ctime>
#include <iterator>
#include <string>

namespace kmr::log {
namespace {
std::atomic<int> g_level{static_cast<int>(level::info)};
std::atomic<int> g_format{static_cast<int>(format::text)};

std::string_view prefix(level l) noexcept {
  switch (l) {
    case level::error: return "error: ";
    case level::warn: return "warn: ";
    case level::info: return "";
    case level::debug: return "debug: ";
  }
  return "";
}

std::string_view level_name(level l) noexcept {
  switch (l) {
    case level::error: return "error";
    case level::warn: return "warn";
    case level::info: return "info";
    case level::debug: return "debug";
  }
  return "info";
}

// UTC, RFC 3339 with milliseconds: what journald, Loki and jq all read without a format.
void append_time(std::string& out, std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(when);
  const auto s = floor<seconds>(ms);
  const std::time_t t = system_clock::to_time_t(time_point_cast<system_clock::duration>(s));
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) tm = std::tm{};  // out of range: a visibly wrong 1900
  fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ms - s).count());
}

// key=value words split on spaces, so a value that would blur the split gets quoted.
bool needs_quotes(std::string_view s) noexcept {
  if (s.empty()) return true;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void append_text_value(std::string& out, const field::value_type& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    if (needs_quotes(*s)) append_json_string(out, *s);
    else out.append(*s);
  } else {
    std::visit([&out](auto x) { fmt::format_to(std::back_inserter(out), "{}", x); }, v);
  }
}

void append_json_value(std::string& out, const field::value_type& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    append_json_string(out, *s);
  } else if (const auto* d = std::get_if<double>(&v); d != nullptr && !std::isfinite(*d)) {
    out += "null";  // JSON has no NaN or infinity
  } else {
    // fmt's "{}" is the shortest text that reads back as the same double, and valid JSON.
    std::visit([&out](auto x) { fmt::format_to(std::back_inserter(out), "{}", x); }, v);
  }
}

void write_all(const std::string& line) noexcept {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed: nothing useful to do
    p += n;
    left -= static_cast<std::size_t>(n);
  }
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

void set_format(format f) noexcept { g_format.store(static_cast<int>(f), std::memory_order_relaxed); }
format current_format() noexcept { return static_cast<format>(g_format.load(std::memory_order_relaxed)); }

std::optional<format> parse_format(std::string_view name) noexcept {
  if (name == "text") return format::text;
  if (name == "json") return format::json;
  return std::nullopt;
}

std::string format_event(format f, level l, std::string_view message, std::span<const field> fields,
                         std::chrono::system_clock::time_point when) {
  std::string line;
  if (f == format::text) {
    line.reserve(message.size() + 16 + 24 * fields.size());
    line.append(prefix(l)).append(message);
    for (const auto& fl : fields) {
      line.append(" ").append(fl.key).push_back('=');
      append_text_value(line, fl.value);
    }
  } else {
    line.reserve(message.size() + 64 + 32 * fields.size());
    line.append("{\"time\":\"");
    append_time(line, when);
    line.append("\",\"level\":\"").append(level_name(l)).append("\",\"message\":");
    append_json_string(line, message);
    for (const auto& fl : fields) {
      line.push_back(',');
      append_json_string(line, fl.key);
      line.push_back(':');
      append_json_value(line, fl.value);
    }
    line.push_back('}');
  }
  line.push_back('\n');
  return line;
}

void write_event(level l, std::string_view message, std::span<const field> fields) noexcept {
  try {
    // system_clock is CLOCK_REALTIME: wall-clock time, which is what a log reader wants.
    write_all(format_event(current_format(), l, message, fields, std::chrono::system_clock::now()));
  } catch (...) {
    // Out of memory while logging: drop the line rather than end the process.
  }
}

void write_line(level l, std::string_view message) noexcept { write_event(l, message, {}); }

}  // namespace kmr::log

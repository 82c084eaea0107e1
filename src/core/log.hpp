// SPDX-License-Identifier: MIT
// Logging to stderr with a process-wide level and format. One write per line, so lines
// from worker threads never interleave. Never call it on the per-chunk path.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace kmr::log {

enum class level { error = 0, warn = 1, info = 2, debug = 3 };

// text: "<prefix><message>" as always; json: one JSON object per line (log-format=json).
enum class format { text, json };

void set_level(level l) noexcept;
level current_level() noexcept;
bool enabled(level l) noexcept;
std::optional<level> parse_level(std::string_view name) noexcept;

void set_format(format f) noexcept;
format current_format() noexcept;
std::optional<format> parse_format(std::string_view name) noexcept;  // "text" or "json"

// A structured field of an event. Any integer converts to the 64-bit type of its
// signedness (a plain aggregate would make `{"n", 5u}` ambiguous).
struct field {
  using value_type = std::variant<std::string_view, std::uint64_t, std::int64_t, double>;

  constexpr field(std::string_view k, std::string_view v) noexcept : key(k), value(v) {}
  constexpr field(std::string_view k, double v) noexcept : key(k), value(v) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  constexpr field(std::string_view k, T v) noexcept : key(k), value(widen(v)) {}

  std::string_view key;
  value_type value;

 private:
  template <class T>
  static constexpr value_type widen(T v) noexcept {
    if constexpr (std::is_signed_v<T>) return static_cast<std::int64_t>(v);
    else return static_cast<std::uint64_t>(v);
  }
};

// The whole line for `f`, ending in '\n'. Text: "<prefix><message> key=value ...", a
// string value quoted (JSON escaping) when empty or holding a space, '"', '=' or a
// control byte. JSON: {"time":"<UTC RFC 3339, ms>","level":"...","message":"...",
// "key":value,...}, with non-finite doubles as null. Pure, for the tests; throws bad_alloc.
std::string format_event(format f, level l, std::string_view message, std::span<const field> fields,
                         std::chrono::system_clock::time_point when);

// Writes the line of the current format to stderr in a single write(2); text is
// "<prefix><message>\n". Neither checks the level: the callers below do.
void write_line(level l, std::string_view message) noexcept;
void write_event(level l, std::string_view message, std::span<const field> fields) noexcept;

// An event with fields, if `l` is enabled: log::event(level::info, "ended", {{"id", id}}).
inline void event(level l, std::string_view message, std::initializer_list<field> fields) noexcept {
  if (enabled(l)) write_event(l, message, std::span<const field>(fields.begin(), fields.size()));
}

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

// SPDX-License-Identifier: MIT
#include "opt/duration.hpp"

#include <cstdint>
#include <optional>

namespace kmr::opt {
namespace {

using std::int64_t;

constexpr int64_t max_ms = int64_t{7} * 24 * 60 * 60 * 1000;  // 7 days
// Enough for milliseconds of a minute or an hour; more digits would only be zeros or
// sub-millisecond noise, and the cap keeps 10^digits * unit far from overflow.
constexpr std::size_t max_fraction_digits = 9;

const std::string not_a_duration =
    "not a duration: expected a non-negative number with an optional unit, "
    "e.g. 10, 1.5, 10s, 500ms, 2m or 1h";

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Milliseconds per unit, or nullopt for an unknown unit. No unit means seconds.
std::optional<int64_t> unit_ms(std::string_view unit) noexcept {
  if (unit.empty() || unit == "s") return 1000;
  if (unit == "ms") return 1;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return std::nullopt;
}

struct number {
  int64_t whole = 0;     // saturates just above max_ms: anything larger is rejected anyway
  int64_t fraction = 0;  // the digits after '.', as an integer
  int64_t scale = 1;     // 10^(number of fraction digits)
  bool has_point = false;
};

// Reads "<digits>[.<digits>]" from the front of `text` and removes it. nullopt if the
// text does not start that way.
std::optional<number> take_number(std::string_view& text) {
  number n;
  std::size_t i = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    n.whole = n.whole * 10 + (text[i] - '0');
    if (n.whole > max_ms) n.whole = max_ms + 1;  // saturate instead of overflowing
  }
  if (i == 0) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    n.has_point = true;
    const std::size_t start = ++i;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      if (i - start >= max_fraction_digits) return std::nullopt;
      n.fraction = n.fraction * 10 + (text[i] - '0');
      n.scale *= 10;
    }
    if (i == start) return std::nullopt;  // "1." has no digits after the point
  }
  text.remove_prefix(i);
  return n;
}

}  // namespace

expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return unexpected(std::string("empty duration"));
  if (text.front() == '-') return unexpected(std::string("a duration must not be negative"));
  std::string_view rest = text;
  const auto n = take_number(rest);
  if (!n) return unexpected(not_a_duration);
  const auto unit = unit_ms(rest);
  if (!unit) return unexpected(not_a_duration);
  if (n->has_point && *unit == 1)
    return unexpected(std::string("milliseconds must be a whole number"));
  if (n->whole > max_ms / *unit) return unexpected(std::string("too long: at most 7 days"));
  const int64_t fraction_ms = n->fraction * *unit;
  // Sub-millisecond parts would be silently dropped (and "0.0001" would become 0, which
  // callers may read as "off"), so they are refused instead.
  if (fraction_ms % n->scale != 0)
    return unexpected(std::string("too precise: the resolution is one millisecond"));
  const int64_t total = n->whole * *unit + fraction_ms / n->scale;
  if (total > max_ms) return unexpected(std::string("too long: at most 7 days"));
  return std::chrono::milliseconds(total);
}

}  // namespace kmr::opt

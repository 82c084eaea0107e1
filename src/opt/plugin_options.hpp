// SPDX-License-Identifier: MIT
// The SIP003 option string ("ws;host=a.b;path=/x"), parsed as a pure function.
// Grammar (DESIGN.md §1): items split on ';', each "key=value" or a bare flag; "\;", "\="
// and "\\" escape those characters (any other "\c" yields c); keys and values are
// trimmed of spaces and tabs; keys match exactly; an empty value counts as absent.
#pragma once

#include "core/expected.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::opt {

// A problem with the options, shown to the user as one line: "<key>: <message>" or,
// when no key applies, just the message.
struct option_error {
  std::string key;
  std::string message;
};

class plugin_options {
 public:
  struct entry {
    std::string key;                   // unescaped, trimmed; may be empty ("=x")
    std::optional<std::string> value;  // nullopt: a flag, or "key=" with an empty value
    bool had_equals = false;           // true for "key=value" and "key=", false for "key"
  };

  // Fails only on a syntax error (a lone trailing backslash). Empty items (";;") are
  // dropped; every other item is kept in order, duplicates included.
  static expected<plugin_options, option_error> parse(std::string_view text);

  // True if some item has exactly this key and no value ("ws", or "ws=" which is empty).
  bool has_flag(std::string_view key) const noexcept;
  // True if some item has exactly this key, with or without a value.
  bool contains(std::string_view key) const noexcept;
  // The value of the first item with exactly this key that has a non-empty value.
  std::optional<std::string_view> value(std::string_view key) const noexcept;

  const std::vector<entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<entry> entries_;
};

}  // namespace kmr::opt

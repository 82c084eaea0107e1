// SPDX-License-Identifier: MIT
// Reading the products' stderr lines ("<level>: <message>"; info lines may carry no
// level prefix, as the banner's do).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kmr::test {

// The message of an info line: "info: draining: ..." and "draining: ..." both give
// "draining: ...". Other lines are returned whole.
inline std::string_view info_message(std::string_view line) {
  constexpr std::string_view prefix = "info: ";
  if (line.starts_with(prefix)) line.remove_prefix(prefix.size());
  return line;
}

// How many lines of `text` contain `needle`.
inline std::size_t count_lines_containing(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (text.substr(0, end).find(needle) != std::string_view::npos) ++n;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return n;
}

}  // namespace kmr::test

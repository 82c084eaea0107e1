// SPDX-License-Identifier: MIT
#include "opt/option_table.hpp"

// The rows are checked at compile time below: a malformed row fails the build, not a user.

namespace kmr::opt {
namespace {

constexpr bool names_unique() {
  for (std::size_t i = 0; i < option_table.size(); ++i)
    for (std::size_t j = i + 1; j < option_table.size(); ++j)
      if (option_table[i].name == option_table[j].name) return false;
  return true;
}

// A flag takes no value, so it has no placeholder, no default and nothing to be absent.
constexpr bool flags_are_bare() {
  for (const auto& o : option_table)
    if (o.kind == option_kind::flag &&
        (!o.placeholder.empty() || !o.default_text.empty() || o.required || o.bare_means_absent))
      return false;
  return true;
}

constexpr bool values_have_placeholders() {
  for (const auto& o : option_table)
    if (o.kind == option_kind::value && o.placeholder.empty()) return false;
  return true;
}

// Every text is there and --help's lines stay lines.
constexpr bool texts_present() {
  for (const auto& o : option_table) {
    if (o.name.empty() || o.help.empty() || o.description.empty()) return false;
    if (o.help.find('\n') != std::string_view::npos || o.description.find('\n') != std::string_view::npos)
      return false;
  }
  return true;
}

// A layer is named by its flag, which must be a row of the same group.
constexpr bool layers_are_flags() {
  for (const auto& o : option_table) {
    if (o.layer.empty()) continue;
    // By search, not find_option (see has_option).
    bool found = false;
    for (const auto& flag : option_table)
      found = found || (flag.name == o.layer && flag.kind == option_kind::flag && flag.group == o.group);
    if (!found) return false;
  }
  return true;
}

// --help and the docs print the groups in this order, so the rows must follow it too.
constexpr bool groups_in_order() {
  for (std::size_t i = 0; i < option_groups.size(); ++i)
    if (static_cast<std::size_t>(option_groups[i].group) != i) return false;
  for (std::size_t i = 1; i < option_table.size(); ++i)
    if (option_table[i].group < option_table[i - 1].group) return false;
  return true;
}

static_assert(names_unique(), "two option rows share a name");
static_assert(flags_are_bare(), "a flag row has a placeholder, a default or a value rule");
static_assert(values_have_placeholders(), "a value option has no placeholder");
static_assert(texts_present(), "an option row lacks its name, help or description, or has a newline");
static_assert(layers_are_flags(), "an option's layer is not a flag of its group");
static_assert(groups_in_order(), "option rows or groups are out of --help's order");

}  // namespace

std::string option_usage(const option_spec& o) {
  std::string text(o.name);
  if (o.kind == option_kind::value) text.append("=").append(o.placeholder);
  return text;
}

}  // namespace kmr::opt

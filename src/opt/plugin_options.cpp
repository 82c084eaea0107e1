// SPDX-License-Identifier: MIT
#include "opt/plugin_options.hpp"

#include <utility>

namespace kmr::opt {
namespace {

// Only ASCII blanks are trimmed: the original trims Unicode whitespace, but option
// strings are ASCII in practice, and other bytes (UTF-8 or not) must pass through as-is.
bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One side of an item (key or value) as it is being unescaped. Leading blanks are never
// stored, and trailing blanks are cut on finish(), but never below `kept_`: an escaped
// character ("\ ") is literal and survives trimming. Everything is O(1) amortised per
// input byte, so a 1 MiB option string parses in linear time.
class field {
 public:
  void add(char c, bool escaped) {
    if (!escaped && text_.empty() && is_blank(c)) return;
    text_.push_back(c);
    if (escaped) kept_ = text_.size();
  }
  std::string finish() {
    while (text_.size() > kept_ && is_blank(text_.back())) text_.pop_back();
    std::string out = std::move(text_);
    text_.clear();
    kept_ = 0;
    return out;
  }

 private:
  std::string text_;
  std::size_t kept_ = 0;
};

// Accumulates the current item and appends it to `out` at each unescaped ';'.
class item_builder {
 public:
  explicit item_builder(std::vector<plugin_options::entry>& out) : out_(out) {}

  void add(char c, bool escaped) {
    if (!escaped && c == '=' && !had_equals_) {
      had_equals_ = true;  // only the first '=' splits; later ones belong to the value
      return;
    }
    (had_equals_ ? value_ : key_).add(c, escaped);
  }

  void end_item() {
    plugin_options::entry e;
    e.key = key_.finish();
    std::string v = value_.finish();
    e.had_equals = std::exchange(had_equals_, false);
    if (!v.empty()) e.value = std::move(v);  // an empty value counts as absent
    // Drop only truly empty items (";;", " ; "); "=" and "=x" are kept so that the
    // config layer can report them as unknown instead of silently losing them.
    if (e.key.empty() && !e.had_equals) return;
    out_.push_back(std::move(e));
  }

 private:
  std::vector<plugin_options::entry>& out_;
  field key_;
  field value_;
  bool had_equals_ = false;
};

}  // namespace

expected<plugin_options, option_error> plugin_options::parse(std::string_view text) {
  plugin_options out;
  item_builder item(out.entries_);
  bool escaped = false;
  for (const char c : text) {
    if (escaped) {
      item.add(c, true);  // "\;", "\=", "\\" and any other "\c" all give c
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ';') {
      item.end_item();
    } else {
      item.add(c, false);
    }
  }
  if (escaped) {
    return unexpected(option_error{
        "", "the options end with a lone backslash (write \\\\ for a literal backslash)"});
  }
  item.end_item();
  return out;
}

bool plugin_options::has_flag(std::string_view key) const noexcept {
  for (const auto& e : entries_) {
    if (e.key == key && !e.value) return true;
  }
  return false;
}

bool plugin_options::contains(std::string_view key) const noexcept {
  for (const auto& e : entries_) {
    if (e.key == key) return true;
  }
  return false;
}

std::optional<std::string_view> plugin_options::value(std::string_view key) const noexcept {
  for (const auto& e : entries_) {
    if (e.key == key && e.value) return std::string_view(*e.value);
  }
  return std::nullopt;
}

}  // namespace kmr::opt

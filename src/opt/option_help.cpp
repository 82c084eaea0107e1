// SPDX-License-Identifier: MIT
#include "opt/option_help.hpp"

#include "opt/option_table.hpp"

#include <vector>

namespace kmr::opt {
namespace {

// The layout of the hand-written help this replaces: names from column 2, texts from
// column 26, lines wrapped before column 96 so that a 100-column terminal shows them whole.
constexpr std::size_t name_column = 2;
constexpr std::size_t text_column = 26;
constexpr std::size_t max_width = 96;

// "client, required:", "server:", "required:" or nothing (both sides, optional).
std::string side_prefix(const option_spec& o) {
  std::string text(o.side == option_side::both ? "" : to_string(o.side));
  if (o.required) text += text.empty() ? "required" : ", required";
  return text.empty() ? text : text + ":";
}

// The words to wrap. "(default 0: exit at once)" stays one word, so it never breaks.
std::vector<std::string> help_words(const option_spec& o) {
  std::vector<std::string> words;
  if (auto prefix = side_prefix(o); !prefix.empty()) words.push_back(std::move(prefix));
  for (std::string_view rest = o.help; !rest.empty();) {
    const auto space = rest.find(' ');
    words.emplace_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  if (!o.default_text.empty()) words.push_back("(default " + std::string(o.default_text) + ")");
  return words;
}

// "  name=PLACEHOLDER          text that wraps\n                          onto more lines\n"
void append_option_line(std::string& out, const option_spec& o) {
  std::string line(name_column, ' ');
  line += option_usage(o);
  line.append(line.size() + 2 <= text_column ? text_column - line.size() : 2, ' ');
  bool line_has_text = false;
  for (const auto& word : help_words(o)) {
    if (line_has_text && line.size() + 1 + word.size() > max_width) {
      out += line + "\n";
      line.assign(text_column, ' ');
      line_has_text = false;
    }
    if (line_has_text) line += ' ';
    line += word;
    line_has_text = true;
  }
  out += line + "\n";
}

}  // namespace

std::string options_help() {
  std::string out;
  for (const auto& g : option_groups) {
    if (!out.empty()) out += "\n";
    out.append(g.title).append(":\n");
    for (const auto& o : option_table)
      if (o.group == g.group) append_option_line(out, o);
    if (!g.note.empty()) out.append(name_column, ' ').append(g.note).append("\n");
  }
  return out;
}

}  // namespace kmr::opt

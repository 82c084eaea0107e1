// SPDX-License-Identifier: MIT
#include "opt/option_markdown.hpp"

#include "opt/option_table.hpp"

#include <fmt/core.h>

#include <vector>

namespace kmr::opt {
namespace {

constexpr std::string_view begin_prefix = "<!-- options:begin ";
constexpr std::string_view comment_end = "-->";
constexpr std::string_view end_marker = "<!-- options:end -->";

// A table cell: '|' would end the cell (GFM wants it escaped even inside `code`). The
// one-line help is plain text, so its '<' ("<remote_addr>") must not start an HTML tag.
std::string cell(std::string_view text, bool plain) {
  std::string out;
  for (const char ch : text) {
    if (ch == '|' || (plain && ch == '<')) out += '\\';
    out += ch;
  }
  return out;
}

std::string default_cell(const option_spec& o) {
  if (o.kind == option_kind::flag) return "off";
  if (o.required) return "required";
  if (!o.default_text.empty()) return cell(o.default_text, true);
  return "none";
}

std::string_view group_key(option_group g) { return option_groups[static_cast<std::size_t>(g)].key; }

// Where docs/options.md puts the option: its layer's section for ws and tls, else its group's.
std::string_view doc_section(const option_spec& o) {
  return o.group == option_group::layers && !o.layer.empty() ? o.layer : group_key(o.group);
}

bool selected(const option_spec& o, std::string_view selector) {
  return group_key(o.group) == selector || o.layer == selector;
}

std::string_view trimmed(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// "<!-- options:begin tls brief -->" -> the table; the error says what is wrong with it.
expected<std::string, std::string> region_for(std::string_view marker) {
  if (marker.size() < begin_prefix.size() + comment_end.size() || !marker.ends_with(comment_end))
    return unexpected<std::string>("a begin marker must end with '-->' on its line");
  auto words = trimmed(marker.substr(begin_prefix.size(), marker.size() - begin_prefix.size() - comment_end.size()));
  const auto space = words.find(' ');
  const auto selector = words.substr(0, space);
  const auto style = space == std::string_view::npos ? std::string_view() : trimmed(words.substr(space + 1));
  if (!style.empty() && style != "brief")
    return unexpected<std::string>(fmt::format("unknown style '{}' (only 'brief')", style));
  return options_markdown_table(selector, style == "brief");
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

}  // namespace

expected<std::string, std::string> options_markdown_table(std::string_view selector, bool brief) {
  std::string out = "| option | side | default | meaning |\n|---|---|---|---|\n";
  bool any = false;
  for (const auto& o : option_table) {
    if (!selected(o, selector)) continue;
    any = true;
    out += fmt::format("| `{}` | {} | {} | {} |\n", cell(option_usage(o), false), to_string(o.side),
                       default_cell(o), brief ? cell(o.help, true) : cell(o.description, false));
  }
  if (!any) return unexpected<std::string>(fmt::format("no options for '{}'", selector));
  return out;
}

std::string options_markdown() {
  std::string out;
  std::string_view previous;
  for (const auto& o : option_table) {
    const auto section = doc_section(o);
    if (section == previous) continue;  // the rows of a section are contiguous in the table
    previous = section;
    if (!out.empty()) out += "\n";
    out += fmt::format("{}{} {}\n\n{}\n{}\n", begin_prefix, section, comment_end,
                       *options_markdown_table(section, false), end_marker);
  }
  return out;
}

expected<std::string, std::string> regenerate_option_regions(std::string_view document) {
  std::string out;
  std::size_t begin_line = 0;  // 1-based line of the open region's begin marker; 0: none open
  std::size_t regions = 0;
  const auto lines = lines_of(document);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line = trimmed(lines[i]);
    const auto here = i + 1;
    if (line.starts_with(begin_prefix)) {
      if (begin_line != 0)
        return unexpected(fmt::format("line {}: options:begin inside the region opened on line {}", here, begin_line));
      auto table = region_for(line);
      if (!table) return unexpected(fmt::format("line {}: {}", here, table.error()));
      out.append(lines[i]).append("\n\n").append(*table).append("\n");
      begin_line = here;
      ++regions;
    } else if (line == end_marker) {
      if (begin_line == 0) return unexpected(fmt::format("line {}: options:end without options:begin", here));
      out.append(lines[i]).append("\n");
      begin_line = 0;
    } else if (begin_line == 0) {
      out.append(lines[i]).append("\n");
    }
  }
  if (begin_line != 0) return unexpected(fmt::format("line {}: options:begin without options:end", begin_line));
  if (regions == 0) return unexpected<std::string>("no '<!-- options:begin ... -->' marker");
  if (!document.ends_with('\n') && !out.empty()) out.pop_back();
  return out;
}

}  // namespace kmr::opt

// SPDX-License-Identifier: MIT
// kmr_options_doc: prints the option tables generated from src/opt/option_table.hpp, or
// checks (--check) or rewrites (--write) the marked regions of Markdown files with them.
#include "opt/option_markdown.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view usage =
    "usage: kmr_options_doc                    print every docs/options.md table between its markers\n"
    "       kmr_options_doc --check FILE...    exit 1 if a file's generated tables are out of date\n"
    "       kmr_options_doc --write FILE...    regenerate the tables in place\n";

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// The first line where two texts differ (1-based), to point at the stale row.
std::size_t first_difference(std::string_view a, std::string_view b) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; ++i)
    if (a[i] == '\n') ++line;
  return line;
}

// 0: up to date (or rewritten), 1: stale or unreadable, 2: a malformed marker.
int process(const std::string& path, bool write) {
  const auto text = read_text(path);
  if (!text) {
    fmt::print(stderr, "kmr_options_doc: {}: cannot read\n", path);
    return 1;
  }
  const auto fresh = kmr::opt::regenerate_option_regions(*text);
  if (!fresh) {
    fmt::print(stderr, "kmr_options_doc: {}: {}\n", path, fresh.error());
    return 2;
  }
  if (*fresh == *text) return 0;
  if (write) {
    if (write_text(path, *fresh)) return 0;
    fmt::print(stderr, "kmr_options_doc: {}: cannot write\n", path);
    return 1;
  }
  fmt::print(stderr,
             "kmr_options_doc: {}:{}: the generated option tables differ from src/opt/option_table.hpp;\n"
             "  run: kmr_options_doc --write {}\n",
             path, first_difference(*text, *fresh), path);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    fmt::print("{}", kmr::opt::options_markdown());
    return 0;
  }
  const bool write = args[0] == "--write";
  if ((!write && args[0] != "--check") || args.size() < 2) {
    fmt::print(stderr, "{}", usage);
    return 2;
  }
  int status = 0;
  for (std::size_t i = 1; i < args.size(); ++i) status = std::max(status, process(args[i], write));
  return status;
}

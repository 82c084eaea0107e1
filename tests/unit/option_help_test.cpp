// SPDX-License-Identifier: MIT
#include "opt/option_help.hpp"  // first: the header must be self-contained

#include "opt/option_table.hpp"

#include <gtest/gtest.h>

#include <sstream>

using kmr::opt::options_help;

TEST(OptionHelp, ListsEveryOptionOnce_InTableOrder) {
  const auto help = options_help();
  std::size_t previous = 0;
  for (const auto& o : kmr::opt::option_table) {
    const auto usage = "\n  " + kmr::opt::option_usage(o) + " ";
    const auto at = help.find(usage);
    ASSERT_NE(at, std::string::npos) << o.name;
    EXPECT_EQ(help.find(usage, at + 1), std::string::npos) << o.name << " is listed twice";
    EXPECT_GT(at, previous) << o.name << " is out of order";
    previous = at;
  }
}

TEST(OptionHelp, PrintsEachGroupWithItsTitleAndNote) {
  const auto help = options_help();
  for (const auto& g : kmr::opt::option_groups) {
    EXPECT_NE(help.find(std::string(g.title) + ":\n"), std::string::npos) << g.key;
    if (!g.note.empty()) EXPECT_NE(help.find("  " + std::string(g.note) + "\n"), std::string::npos) << g.key;
  }
}

TEST(OptionHelp, WrapsLongLines_KeepingTheDefaultWhole) {
  std::istringstream in(options_help());
  for (std::string line; std::getline(in, line);) {
    EXPECT_LE(line.size(), 96u) << line;
    EXPECT_FALSE(line.ends_with("(default")) << line;
  }
  // The drain line is too long for one line; its default moves down whole.
  EXPECT_NE(options_help().find("\n                          (default 0: exit at once)\n"), std::string::npos)
      << options_help();
}

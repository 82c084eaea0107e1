// SPDX-License-Identifier: MIT
#include "opt/option_markdown.hpp"  // first: the header must be self-contained

#include "opt/option_table.hpp"

#include <gtest/gtest.h>

using kmr::opt::options_markdown_table;
using kmr::opt::regenerate_option_regions;

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

const std::string stale_doc =
    "# Title\n"
    "prose before\n"
    "<!-- options:begin operations -->\n"
    "| stale | table |\n"
    "<!-- options:end -->\n"
    "prose after\n";

}  // namespace

TEST(OptionMarkdown, RegeneratesMarkedRegions_KeepsTheProse) {
  auto doc = regenerate_option_regions(stale_doc);
  ASSERT_TRUE(doc) << doc.error();
  EXPECT_EQ(doc->rfind("# Title\nprose before\n<!-- options:begin operations -->\n\n| option | side | default |", 0), 0u)
      << *doc;
  EXPECT_NE(doc->find("| `drain=DUR` | both | 0: exit at once | after SIGTERM"), std::string::npos) << *doc;
  EXPECT_EQ(doc->find("stale"), std::string::npos);
  EXPECT_TRUE(doc->ends_with("|\n\n<!-- options:end -->\nprose after\n")) << *doc;
}

TEST(OptionMarkdown, RegenerationIsIdempotent) {
  auto once = regenerate_option_regions(stale_doc);
  ASSERT_TRUE(once);
  auto twice = regenerate_option_regions(*once);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*once, *twice);
}

TEST(OptionMarkdown, BriefTablesUseTheHelpLine) {
  auto full = options_markdown_table("operations", false);
  auto brief = options_markdown_table("operations", true);
  ASSERT_TRUE(full && brief);
  const auto* drain = kmr::opt::find_option("drain");
  EXPECT_NE(brief->find(std::string(drain->help)), std::string::npos);
  EXPECT_NE(full->find(std::string(drain->description)), std::string::npos);
}

TEST(OptionMarkdown, SelectsByGroupOrLayer) {
  auto layers = options_markdown_table("layers", true);
  auto ws = options_markdown_table("ws", false);
  ASSERT_TRUE(layers && ws);
  EXPECT_NE(layers->find("| `ws` |"), std::string::npos);
  EXPECT_NE(layers->find("| `sni=NAME` | client | required |"), std::string::npos) << *layers;
  EXPECT_NE(ws->find("| `host=NAME` | both | required |"), std::string::npos) << *ws;
  EXPECT_EQ(ws->find("| `tls` |"), std::string::npos);
  EXPECT_NE(layers->find("| `tls` | both | off |"), std::string::npos);
}

TEST(OptionMarkdown, EscapesCellSeparatorsAndTags) {
  auto ws = options_markdown_table("ws", true);
  auto uot = options_markdown_table("uot", true);
  ASSERT_TRUE(ws && uot);
  EXPECT_NE(ws->find("`mask=skip\\|fixed\\|standard`"), std::string::npos) << *ws;
  EXPECT_NE(uot->find("\\<remote_addr>"), std::string::npos) << *uot;  // not an HTML tag
}

TEST(OptionMarkdown, EveryOptionIsInExactlyOneDocsSection) {
  const auto all = kmr::opt::options_markdown();
  for (const auto& o : kmr::opt::option_table) {
    std::string usage = kmr::opt::option_usage(o);
    for (auto at = usage.find('|'); at != std::string::npos; at = usage.find('|', at + 2)) usage.insert(at, "\\");
    EXPECT_EQ(count(all, "| `" + usage + "` |"), 1u) << o.name;
  }
  auto again = regenerate_option_regions(all);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(*again, all);
}

TEST(OptionMarkdown, RejectsBadMarkers_NamingTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"a\n<!-- options:begin nothing -->\n<!-- options:end -->\n", "line 2: no options for 'nothing'"},
      {"<!-- options:begin tls -->\n", "line 1: options:begin without options:end"},
      {"a\nb\n<!-- options:end -->\n", "line 3: options:end without options:begin"},
      {"<!-- options:begin tls -->\n<!-- options:begin ws -->\n<!-- options:end -->\n",
       "line 2: options:begin inside the region opened on line 1"},
      {"<!-- options:begin tls short -->\n<!-- options:end -->\n", "line 1: unknown style 'short' (only 'brief')"},
      {"no markers at all\n", "no '<!-- options:begin ... -->' marker"},
  };
  for (const auto& [doc, message] : cases) {
    auto r = regenerate_option_regions(doc);
    ASSERT_FALSE(r) << doc;
    EXPECT_EQ(r.error(), message) << doc;
  }
}

// SPDX-License-Identifier: MIT
#include "opt/plugin_options.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using kmr::opt::plugin_options;
using namespace std::string_literals;

namespace {

plugin_options parse_ok(std::string_view text) {
  auto o = plugin_options::parse(text);
  EXPECT_TRUE(o) << "parse failed for: " << text;
  return o ? *o : plugin_options{};
}

}  // namespace

// --- kaminari-wire.md §14.1, as far as the raw parser goes. Whether a row is fatal
// --- (missing host/path/sni/cert) is decided by the config layer, not here.

TEST(PluginOptions, ParsesWsHostPath_Vector1) {
  const auto o = parse_ok("ws;host=a.b.c;path=/");
  EXPECT_TRUE(o.has_flag("ws"));
  EXPECT_EQ(o.value("host"), "a.b.c");
  EXPECT_EQ(o.value("path"), "/");
  EXPECT_EQ(o.entries().size(), 3u);
}

TEST(PluginOptions, DropsTrailingSemicolon_Vector2) {
  const auto o = parse_ok("ws;path=/abc;host=a.b.c;");
  EXPECT_TRUE(o.has_flag("ws"));
  EXPECT_EQ(o.value("host"), "a.b.c");
  EXPECT_EQ(o.value("path"), "/abc");
  EXPECT_EQ(o.entries().size(), 3u);
}

TEST(PluginOptions, ReportsMissingPathAsAbsent_Vector3) {
  // Fatal in the original ("ws: require host and path"); the parser only reports that
  // path is absent, and the config layer turns that into the start-up error.
  const auto o = parse_ok("ws;host=a.b.c");
  EXPECT_TRUE(o.has_flag("ws"));
  EXPECT_EQ(o.value("host"), "a.b.c");
  EXPECT_FALSE(o.value("path"));
  EXPECT_FALSE(o.contains("path"));
}

TEST(PluginOptions, KeepsAlpnListRaw_Vector4) {
  // Splitting "h2, http/1.1" on ',' is the config layer's job.
  const auto o = parse_ok("tls;sni=a.b.c;alpn=h2, http/1.1;insecure;0rtt");
  EXPECT_TRUE(o.has_flag("tls"));
  EXPECT_EQ(o.value("sni"), "a.b.c");
  EXPECT_EQ(o.value("alpn"), "h2, http/1.1");
  EXPECT_TRUE(o.has_flag("insecure"));
  EXPECT_TRUE(o.has_flag("0rtt"));
}

TEST(PluginOptions, TreatsEmptyValueAsAbsent_Vector5) {
  const auto o = parse_ok("tls;key=/a;cert=/b;servername=;");
  EXPECT_EQ(o.value("key"), "/a");
  EXPECT_EQ(o.value("cert"), "/b");
  EXPECT_FALSE(o.value("servername"));
  EXPECT_TRUE(o.contains("servername"));
  EXPECT_TRUE(o.has_flag("servername"));  // "servername=" counts as a flag (no value)
  ASSERT_EQ(o.entries().size(), 4u);
  EXPECT_TRUE(o.entries()[3].had_equals);
  EXPECT_FALSE(o.entries()[3].value);
}

TEST(PluginOptions, TreatsEmptyKeyAndCertAsAbsent_Vector6) {
  const auto o = parse_ok("tls;key=;cert=;servername=x");
  EXPECT_FALSE(o.value("key"));
  EXPECT_FALSE(o.value("cert"));
  EXPECT_EQ(o.value("servername"), "x");
}

TEST(PluginOptions, ReportsMissingCertAsAbsent_Vector7) {
  // Fatal in the original ("tls: require cert and key or servername"), decided by config.
  const auto o = parse_ok("tls;key=/a;");
  EXPECT_TRUE(o.has_flag("tls"));
  EXPECT_EQ(o.value("key"), "/a");
  EXPECT_FALSE(o.value("cert"));
  EXPECT_FALSE(o.value("servername"));
}

TEST(PluginOptions, MatchesKeysExactly_DiffersFromOriginalPrefixMatch_Vector8) {
  // DIFFERS from the original: its get("host") takes the first item that *starts with*
  // "host", so it yields "1" from "hostx=1". Keys here match exactly (DESIGN.md §1).
  const auto o = parse_ok("ws;hostx=1;host=2;path=/");
  EXPECT_EQ(o.value("host"), "2");
  EXPECT_EQ(o.value("hostx"), "1");
  EXPECT_EQ(o.value("path"), "/");
}

TEST(PluginOptions, KeepsUnknownMaskValue_Vector9) {
  // "skipped" means skip mode; mapping the value to a mode is the config layer's job.
  const auto o = parse_ok("mask=skipped");
  EXPECT_EQ(o.value("mask"), "skipped");
}

TEST(PluginOptions, TrimsAroundKeyAndValue_SameAsOriginal) {
  // Works in both: the original finds key "host " by prefix and trims the value.
  const auto o = parse_ok("host = a");
  EXPECT_EQ(o.value("host"), "a");
  EXPECT_EQ(parse_ok(" \tws \r\n; path=\t/x \t").value("path"), "/x");
  EXPECT_TRUE(parse_ok(" \tws \r\n; path=\t/x \t").has_flag("ws"));
}

TEST(PluginOptions, UnescapesSemicolon_DiffersFromOriginal) {
  // DIFFERS from the original, which keeps the backslash and splits at every ';':
  // there path is "/a\" and "b" is a junk item. SIP003 escapes are honoured here.
  const auto o = parse_ok(R"(path=/a\;b)");
  EXPECT_EQ(o.value("path"), "/a;b");
  EXPECT_EQ(o.entries().size(), 1u);
}

TEST(PluginOptions, UnescapesEqualsBackslashAndOtherChars) {
  const auto o = parse_ok(R"(path=/a\=b\\c\xd;k\=ey=v)");
  EXPECT_EQ(o.value("path"), R"(/a=b\cxd)");
  EXPECT_EQ(o.value("k=ey"), "v");
  EXPECT_EQ(parse_ok(R"(\\)").entries().at(0).key, "\\");
}

TEST(PluginOptions, KeepsEscapedBlanks_WhenTrimming) {
  // An escaped blank is literal data, so trimming stops at it.
  const auto o = parse_ok(R"(path= \ /x\  ;k=\ )");
  EXPECT_EQ(o.value("path"), " /x ");
  EXPECT_EQ(o.value("k"), " ");
}

// --- Hostile input ---------------------------------------------------------------

TEST(PluginOptions, RejectsDanglingBackslash) {
  for (const char* text : {"\\", "ws;path=/a\\", "a\\\\\\"}) {
    const auto o = plugin_options::parse(text);
    ASSERT_FALSE(o) << text;
    EXPECT_EQ(o.error().key, "");
    EXPECT_NE(o.error().message.find("backslash"), std::string::npos);
  }
}

TEST(PluginOptions, AcceptsEscapedBackslash_AtEnd) {
  const auto o = parse_ok(R"(path=/a\\)");
  EXPECT_EQ(o.value("path"), "/a\\");
}

TEST(PluginOptions, ReturnsNoEntries_ForEmptyAndBlankInput) {
  EXPECT_TRUE(parse_ok("").entries().empty());
  EXPECT_TRUE(parse_ok(";;;").entries().empty());
  EXPECT_TRUE(parse_ok(" ; \t;\r\n; ").entries().empty());
}

TEST(PluginOptions, KeepsEmptyKeyItem_ForLoneEquals) {
  // "=" is not an empty item: it is kept so that the config layer can report it.
  const auto o = parse_ok("=");
  ASSERT_EQ(o.entries().size(), 1u);
  EXPECT_EQ(o.entries()[0].key, "");
  EXPECT_TRUE(o.entries()[0].had_equals);
  EXPECT_FALSE(o.entries()[0].value);
  EXPECT_TRUE(o.has_flag(""));
}

TEST(PluginOptions, SplitsAtFirstEquals_ForDoubleEquals) {
  const auto o = parse_ok("==");
  ASSERT_EQ(o.entries().size(), 1u);
  EXPECT_EQ(o.entries()[0].key, "");
  EXPECT_EQ(o.value(""), "=");
  EXPECT_EQ(parse_ok("=x").value(""), "x");
}

TEST(PluginOptions, KeepsEqualsInsideValue) {
  EXPECT_EQ(parse_ok("path=/a=b").value("path"), "/a=b");
  EXPECT_EQ(parse_ok("path= = ").value("path"), "=");
}

TEST(PluginOptions, KeepsInnerSpacesInKey) {
  const auto o = parse_ok("a b=c");
  EXPECT_EQ(o.value("a b"), "c");
  EXPECT_FALSE(o.value("a"));
  EXPECT_FALSE(o.value("b"));
}

TEST(PluginOptions, ReturnsFirstNonEmptyValue_ForDuplicateKeys) {
  const auto o = parse_ok("host=;host=first;host=second");
  EXPECT_EQ(o.value("host"), "first");
  EXPECT_EQ(o.entries().size(), 3u);  // duplicates are kept, in order
  EXPECT_EQ(o.entries()[2].value, "second");
}

TEST(PluginOptions, FindsLaterValue_ForFlagThenValue_DiffersFromOriginal) {
  // DIFFERS from the original, whose get("path") stops at the first item starting with
  // "path" (the bare flag) and reports absent.
  const auto o = parse_ok("path;path=/a");
  EXPECT_EQ(o.value("path"), "/a");
  EXPECT_TRUE(o.has_flag("path"));
  EXPECT_TRUE(o.contains("path"));
}

TEST(PluginOptions, MatchesCaseSensitively) {
  const auto o = parse_ok("WS;Host=a");
  EXPECT_FALSE(o.has_flag("ws"));
  EXPECT_FALSE(o.value("host"));
  EXPECT_FALSE(o.has_flag("ws=1"));
  EXPECT_FALSE(parse_ok("ws=1").has_flag("ws"));  // a flag with a value is not a flag
  EXPECT_TRUE(parse_ok("ws=1").contains("ws"));
}

TEST(PluginOptions, PassesEmbeddedNulThrough) {
  const std::string text = "pa\0th=/a\0b;\0"s;
  const auto o = parse_ok(text);
  ASSERT_EQ(o.entries().size(), 2u);
  EXPECT_EQ(o.value("pa\0th"s), "/a\0b"s);
  EXPECT_EQ(o.entries()[1].key, "\0"s);
  EXPECT_FALSE(o.value("pa"));
}

TEST(PluginOptions, PassesNonUtf8BytesThrough) {
  const std::string text = "\xff\xfe=\xfe\xff;path=\xc3\x28";
  const auto o = parse_ok(text);
  EXPECT_EQ(o.value("\xff\xfe"), "\xfe\xff");
  EXPECT_EQ(o.value("path"), "\xc3\x28");
}

TEST(PluginOptions, ParsesOneMebibyteValue_Quickly) {
  const std::string big(1u << 20, 'a');
  const auto start = std::chrono::steady_clock::now();
  const auto o = parse_ok("path=" + big);
  EXPECT_EQ(o.value("path")->size(), big.size());
  const auto key_only = parse_ok(big);
  EXPECT_TRUE(key_only.has_flag(big));
  // Linear time: quadratic trimming or copying would take minutes here, even unoptimised.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PluginOptions, ParsesOneMebibyteOfBlanks_Quickly) {
  // Blanks are the worst case for trimming; all of them must be dropped in linear time.
  const auto start = std::chrono::steady_clock::now();
  const auto o = parse_ok("k=" + std::string(1u << 20, ' ') + "v" + std::string(1u << 20, '\t'));
  EXPECT_EQ(o.value("k"), "v");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PluginOptions, ParsesHundredThousandItems_InOrder) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "k" + std::to_string(i) + "=" + std::to_string(i) + ";";
  const auto start = std::chrono::steady_clock::now();
  const auto o = parse_ok(text);
  ASSERT_EQ(o.entries().size(), 100000u);
  EXPECT_EQ(o.entries()[99999].key, "k99999");
  EXPECT_EQ(o.value("k99999"), "99999");
  EXPECT_FALSE(o.value("k100000"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PluginOptions, ParsesManySemicolons_AsNoEntries) {
  const auto o = parse_ok(std::string(1u << 20, ';'));
  EXPECT_TRUE(o.entries().empty());
}

TEST(PluginOptions, ParsesManyBackslashPairs) {
  const auto o = parse_ok("k=" + std::string(1u << 20, '\\'));  // even count: all escaped
  EXPECT_EQ(o.value("k")->size(), 1u << 19);
  EXPECT_FALSE(plugin_options::parse("k=" + std::string((1u << 20) + 1, '\\')));
}

// SPDX-License-Identifier: MIT
#include "core/log.hpp"  // first: the header must compile on its own

#include "core/json_text.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

namespace log = kmr::log;
using kmr::append_json_string;

namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// 2026-12-03T15:40:00.123Z
std::chrono::system_clock::time_point sample_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / December / 3} + hours{15} + minutes{40} + milliseconds{123};
}

std::string line(log::format f, log::level l, std::string_view message, std::span<const log::field> fields = {}) {
  return log::format_event(f, l, message, fields, sample_time());
}

// A strict check of the flat objects our lines are: {"key":value,...}\n with string,
// number and null values, JSON's escapes only, and no raw control bytes.
class flat_json {
 public:
  explicit flat_json(std::string_view s) : s_(s) {}
  bool line() {
    if (!eat('{')) return false;
    do {
      if (!string() || !eat(':') || !value()) return false;
    } while (eat(','));
    return eat('}') && eat('\n') && i_ == s_.size();
  }

 private:
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool digits() {
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }
  bool value() {
    if (i_ < s_.size() && s_[i_] == '"') return string();
    if (s_.substr(i_, 4) == "null") return i_ += 4, true;
    eat('-');
    if (!eat('0') && !digits()) return false;
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_) {
          if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// Runs `f` with stderr sent to a pipe, and returns what it wrote (lines are small, far
// below the pipe's capacity, so one read after the call gets them).
template <class F>
std::string capture_stderr(F f) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  f();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  return out;
}

// Restores the process-wide level and format a test changes.
struct log_state_guard {
  log::level level = log::current_level();
  log::format format = log::current_format();
  ~log_state_guard() {
    log::set_level(level);
    log::set_format(format);
  }
};

}  // namespace

TEST(JsonLogText, EmptyIsTwoQuotes) { EXPECT_EQ(json(""), "\"\""); }

TEST(JsonLogText, AppendsToWhatIsThere) {
  std::string out = "x=";
  append_json_string(out, "y");
  EXPECT_EQ(out, "x=\"y\"");
}

TEST(JsonLogText, PrintableAsciiPassesThrough) {
  EXPECT_EQ(json("hello, world: 1/2 {a} [b] 'c' ~"), "\"hello, world: 1/2 {a} [b] 'c' ~\"");
}

TEST(JsonLogText, QuoteAndBackslashAreEscaped) {
  EXPECT_EQ(json("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(json("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
}

TEST(JsonLogText, ShortFormsForTheCommonControls) {
  EXPECT_EQ(json("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
}

TEST(JsonLogText, EveryOtherControlByteIsUnicodeEscaped) {
  EXPECT_EQ(json(std::string_view("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(json("\x01\x07\x0b\x0e\x1b\x1f"), "\"\\u0001\\u0007\\u000b\\u000e\\u001b\\u001f\"");
  EXPECT_EQ(json("\x7f"), "\"\\u007f\"");
  for (int c = 0; c < 0x20; ++c) {
    const char byte = static_cast<char>(c);
    std::string expected;
    switch (c) {
      case '\b': expected = "\\b"; break;
      case '\f': expected = "\\f"; break;
      case '\n': expected = "\\n"; break;
      case '\r': expected = "\\r"; break;
      case '\t': expected = "\\t"; break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\u%04x", c);
        expected = hex;
      }
    }
    EXPECT_EQ(json(std::string_view(&byte, 1)), "\"" + expected + "\"") << "byte " << c;
  }
}

TEST(JsonLogText, NulInsideTheTextIsEscapedNotAnEnd) {
  EXPECT_EQ(json(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonLogText, ValidUtf8PassesThroughUnchanged) {
  for (const char* ok : {"\xc3\xa9",                                  // é, 2 bytes
                         "\xe2\x82\xac",                              // €, 3 bytes
                         "\xf0\x9f\x98\x80",                          // 😀, 4 bytes
                         "\xc2\x80", "\xdf\xbf",                      // U+0080, U+07FF
                         "\xe0\xa0\x80", "\xed\x9f\xbf",              // U+0800, U+D7FF
                         "\xee\x80\x80", "\xef\xbf\xbf",              // U+E000, U+FFFF
                         "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",      // U+10000, U+10FFFF
                         "na\xc3\xafve caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"}) {
    EXPECT_EQ(json(ok), std::string("\"") + ok + "\"") << ok;
  }
}

TEST(JsonLogText, StrayContinuationBytesAreReplacedOneEach) {
  EXPECT_EQ(json("\x80"), "\"\\ufffd\"");
  EXPECT_EQ(json("a\x80\xbf" "b"), "\"a\\ufffd\\ufffdb\"");
}

TEST(JsonLogText, BytesThatCanNeverLeadAreReplaced) {
  EXPECT_EQ(json("\xc0"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xc1"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xf5\xfe\xff"), "\"\\ufffd\\ufffd\\ufffd\"");
}

TEST(JsonLogText, OverlongFormsAreReplacedBytewise) {
  EXPECT_EQ(json("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                      // '/' in 2 bytes
  EXPECT_EQ(json("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");           // '/' in 3 bytes
  EXPECT_EQ(json("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // '/' in 4 bytes
  EXPECT_EQ(json("\xe0\x9f\xbf"), "\"\\ufffd\\ufffd\\ufffd\"");           // U+07FF in 3 bytes
  EXPECT_EQ(json("\xf0\x8f\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // U+FFFF in 4 bytes
}

TEST(JsonLogText, SurrogatesAreReplaced) {
  EXPECT_EQ(json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // U+D800
  EXPECT_EQ(json("\xed\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\"");  // U+DFFF
}

TEST(JsonLogText, CodePointsAbove10ffffAreReplaced) {
  EXPECT_EQ(json("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // U+110000
  EXPECT_EQ(json("\xf7\xbf\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(JsonLogText, TruncatedSequenceIsOneReplacement) {
  EXPECT_EQ(json("\xc3"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xe2\x82"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xf0\x9f\x98"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xe2\x82x"), "\"\\ufffdx\"");
  EXPECT_EQ(json("\xe2\x82\xe2\x82\xac"), "\"\\ufffd\xe2\x82\xac\"");  // the next lead starts afresh
  EXPECT_EQ(json("\xf0\x9f\x98\n"), "\"\\ufffd\\n\"");
}

// Unicode 15 Table 3-8: "U+FFFD for maximal subparts".
TEST(JsonLogText, MaximalSubpartsAsInTheUnicodeStandard) {
  EXPECT_EQ(json("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64"),
            "\"a\\ufffd\\ufffd\\ufffdb\\ufffdc\\ufffd\\ufffdd\"");
}

TEST(LogFormat, ParsesTextAndJsonOnly) {
  EXPECT_EQ(log::parse_format("text"), log::format::text);
  EXPECT_EQ(log::parse_format("json"), log::format::json);
  EXPECT_EQ(log::parse_format("JSON"), std::nullopt);
  EXPECT_EQ(log::parse_format(""), std::nullopt);
  EXPECT_EQ(log::parse_format("logfmt"), std::nullopt);
}

TEST(LogFormat, DefaultIsTextAndSetFormatIsReadBack) {
  const log_state_guard guard;
  EXPECT_EQ(log::current_format(), log::format::text);
  log::set_format(log::format::json);
  EXPECT_EQ(log::current_format(), log::format::json);
}

TEST(LogEvent, TextLineIsPrefixAndMessage) {
  EXPECT_EQ(line(log::format::text, log::level::error, "boom"), "error: boom\n");
  EXPECT_EQ(line(log::format::text, log::level::warn, "careful"), "warn: careful\n");
  EXPECT_EQ(line(log::format::text, log::level::info, "listening"), "listening\n");
  EXPECT_EQ(line(log::format::text, log::level::debug, "detail"), "debug: detail\n");
}

TEST(LogEvent, TextFieldsFollowAsKeyValue) {
  const std::array<log::field, 7> fields = {{
      {"id", std::uint64_t{12}},
      {"peer", "127.0.0.1:50312"},
      {"transport", "wss"},
      {"duration", 1.532},
      {"bytes_up", 1024},
      {"delta", std::int64_t{-3}},
      {"big", std::numeric_limits<std::uint64_t>::max()},
  }};
  EXPECT_EQ(line(log::format::text, log::level::info, "connection ended", fields),
            "connection ended id=12 peer=127.0.0.1:50312 transport=wss duration=1.532 bytes_up=1024 delta=-3 "
            "big=18446744073709551615\n");
}

TEST(LogEvent, TextQuotesValuesThatWouldBlurTheWords) {
  const std::array<log::field, 7> fields = {{
      {"empty", ""},
      {"space", "a b"},
      {"quote", "say \"hi\""},
      {"equals", "a=b"},
      {"newline", "a\nb"},
      {"del", "a\x7f"},
      {"backslash", "a\\b"},  // not quoted: nothing to blur
  }};
  EXPECT_EQ(line(log::format::text, log::level::warn, "odd", fields),
            "warn: odd empty=\"\" space=\"a b\" quote=\"say \\\"hi\\\"\" equals=\"a=b\" newline=\"a\\nb\" "
            "del=\"a\\u007f\" backslash=a\\b\n");
}

TEST(JsonLogEvent, LineHasTimeLevelAndMessage) {
  EXPECT_EQ(line(log::format::json, log::level::info, "listening on 127.0.0.1:8388"),
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"info\",\"message\":\"listening on 127.0.0.1:8388\"}\n");
}

TEST(JsonLogEvent, LevelNamesCarryNoPrefix) {
  EXPECT_EQ(line(log::format::json, log::level::error, "boom"),
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"error\",\"message\":\"boom\"}\n");
  EXPECT_EQ(line(log::format::json, log::level::warn, "w"),
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"warn\",\"message\":\"w\"}\n");
  EXPECT_EQ(line(log::format::json, log::level::debug, "d"),
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"debug\",\"message\":\"d\"}\n");
}

TEST(JsonLogEvent, FieldsKeepTheirTypes) {
  const std::array<log::field, 6> fields = {{
      {"id", std::uint64_t{12}},
      {"peer", "127.0.0.1:50312"},
      {"duration", 1.532},
      {"whole", 2.0},
      {"delta", -3},
      {"big", std::numeric_limits<std::uint64_t>::max()},
  }};
  const std::string l = line(log::format::json, log::level::info, "connection ended", fields);
  EXPECT_EQ(l,
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"info\",\"message\":\"connection ended\","
            "\"id\":12,\"peer\":\"127.0.0.1:50312\",\"duration\":1.532,\"whole\":2,\"delta\":-3,"
            "\"big\":18446744073709551615}\n");
  EXPECT_TRUE(flat_json(l).line()) << l;
}

TEST(JsonLogEvent, NonFiniteDoublesAreNull) {
  const std::array<log::field, 3> fields = {{
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"inf", std::numeric_limits<double>::infinity()},
      {"ninf", -std::numeric_limits<double>::infinity()},
  }};
  const std::string l = line(log::format::json, log::level::info, "m", fields);
  EXPECT_EQ(l,
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"info\",\"message\":\"m\","
            "\"nan\":null,\"inf\":null,\"ninf\":null}\n");
  EXPECT_TRUE(flat_json(l).line()) << l;
}

TEST(JsonLogEvent, MessageValuesAndKeysAreEscaped) {
  const std::array<log::field, 2> fields = {{
      {"k\"ey", "v\\al"},
      {"bytes", std::string_view("\x01\xff", 2)},
  }};
  const std::string l = line(log::format::json, log::level::warn, "bad \"request\"\nfrom \xc3", fields);
  EXPECT_EQ(l,
            "{\"time\":\"2026-12-03T15:40:00.123Z\",\"level\":\"warn\",\"message\":\"bad \\\"request\\\"\\nfrom "
            "\\ufffd\",\"k\\\"ey\":\"v\\\\al\",\"bytes\":\"\\u0001\\ufffd\"}\n");
  EXPECT_TRUE(flat_json(l).line()) << l;
}

TEST(JsonLogEvent, TimeIsUtcWithPaddedMilliseconds) {
  using namespace std::chrono;
  const auto at = [](system_clock::time_point t) { return log::format_event(log::format::json, log::level::info, "", {}, t); };
  EXPECT_EQ(at(system_clock::time_point{} + milliseconds{7}),
            "{\"time\":\"1970-01-01T00:00:00.007Z\",\"level\":\"info\",\"message\":\"\"}\n");
  EXPECT_EQ(at(system_clock::time_point{} - milliseconds{1}),
            "{\"time\":\"1969-12-31T23:59:59.999Z\",\"level\":\"info\",\"message\":\"\"}\n");
  EXPECT_EQ(at(sys_days{year{2024} / February / 29} + hours{23} + minutes{59} + seconds{59} + microseconds{999999}),
            "{\"time\":\"2024-02-29T23:59:59.999Z\",\"level\":\"info\",\"message\":\"\"}\n");
}

TEST(JsonLogEvent, WriteLineUsesTheCurrentFormatInOneLine) {
  const log_state_guard guard;
  log::set_format(log::format::text);
  EXPECT_EQ(capture_stderr([] { log::write_line(log::level::warn, "careful"); }), "warn: careful\n");

  log::set_format(log::format::json);
  const std::string l = capture_stderr([] { log::write_line(log::level::warn, "careful"); });
  EXPECT_TRUE(l.starts_with("{\"time\":\"")) << l;
  EXPECT_TRUE(l.ends_with("\",\"level\":\"warn\",\"message\":\"careful\"}\n")) << l;
  EXPECT_TRUE(flat_json(l).line()) << l;
}

TEST(JsonLogEvent, EventHelperChecksTheLevel) {
  const log_state_guard guard;
  log::set_format(log::format::json);
  log::set_level(log::level::info);
  EXPECT_EQ(capture_stderr([] { log::event(log::level::debug, "hidden", {{"n", 1}}); }), "");
  const std::string l = capture_stderr([] { log::event(log::level::info, "shown", {{"n", 1u}, {"s", "x y"}}); });
  EXPECT_TRUE(l.starts_with("{\"time\":\"")) << l;
  EXPECT_TRUE(l.ends_with("\"level\":\"info\",\"message\":\"shown\",\"n\":1,\"s\":\"x y\"}\n")) << l;
  EXPECT_TRUE(flat_json(l).line()) << l;

  log::set_format(log::format::text);
  EXPECT_EQ(capture_stderr([] { log::event(log::level::error, "failed", {{"id", 7}, {"why", "no route"}}); }),
            "error: failed id=7 why=\"no route\"\n");
}

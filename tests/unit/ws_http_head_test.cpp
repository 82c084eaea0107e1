// SPDX-License-Identifier: MIT
#include "ws/http_head.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

using kmr::ws::detail::has_token;
using kmr::ws::detail::head_status;
using kmr::ws::detail::iequals;
using kmr::ws::detail::scan_head;
using kmr::ws::detail::start_line_kind;
using kmr::ws::detail::trim_ows;

TEST(WsHttpHead, FindsTokensInLists) {
  EXPECT_TRUE(has_token("upgrade", "upgrade"));
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" ,\tUPGRADE\t, ", "upgrade"));
  EXPECT_TRUE(has_token("a,,upgrade", "upgrade"));
  EXPECT_FALSE(has_token("upgraded", "upgrade"));
  EXPECT_FALSE(has_token("keep-alive upgrade", "upgrade"));
  EXPECT_FALSE(has_token("", "upgrade"));
  EXPECT_FALSE(has_token(",", "upgrade"));
}

TEST(WsHttpHead, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("Sec-WebSocket-Key", "sec-websocket-key"));
  EXPECT_FALSE(iequals("host", "hosts"));
  EXPECT_FALSE(iequals("[", "{"));  // only letters fold
  EXPECT_FALSE(iequals("\xc3", "\xe3"));
}

TEST(WsHttpHead, TrimsOnlySpaceAndTab) {
  EXPECT_EQ(trim_ows(" \t a b \t "), "a b");
  EXPECT_EQ(trim_ows("\x0b"
                     "a"),
            "\x0b"
            "a");
  EXPECT_EQ(trim_ows("   "), "");
}

TEST(WsHttpHead, SplitsFieldsAndMeasuresTheBlock) {
  const std::string_view text = "GET / HTTP/1.1\r\nA: 1\r\nb:\t two words \r\n\r\nbody";
  const auto b = scan_head(text, start_line_kind::request, 1024, 10);
  ASSERT_EQ(b.status, head_status::complete);
  EXPECT_EQ(b.start_line, "GET / HTTP/1.1");
  ASSERT_EQ(b.fields.size(), 2u);
  EXPECT_EQ(b.fields[0].name, "A");
  EXPECT_EQ(b.fields[0].value, "1");
  EXPECT_EQ(b.fields[1].value, "two words");
  EXPECT_EQ(b.size, text.find("body"));
}

TEST(WsHttpHead, CountsHeadersAgainstTheLimit) {
  EXPECT_EQ(
      scan_head("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\n\r\n", start_line_kind::request, 1024, 2).status,
      head_status::complete);
  EXPECT_EQ(
      scan_head("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n", start_line_kind::request, 1024, 2)
          .status,
      head_status::too_large);
}

// SPDX-License-Identifier: MIT
#include "net/cidr.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include "net/ip_literal.hpp"

#include <string>

using kmr::net::cidr_list;
using namespace std::string_literals;

namespace {

cidr_list parse_ok(std::string_view text) {
  auto list = cidr_list::parse(text);
  EXPECT_TRUE(list) << "rejected: " << text << " (" << (list ? "" : list.error()) << ")";
  if (!list) return *cidr_list::parse("255.255.255.255/32");
  return *list;
}

std::string parse_error(std::string_view text) {
  const auto list = cidr_list::parse(text);
  EXPECT_FALSE(list) << "accepted: " << text;
  return list ? std::string() : list.error();
}

}  // namespace

TEST(CidrList, ParsesTheDocumentedExample) {
  const cidr_list list = parse_ok("10.0.0.0/8,192.168.1.7,::1/128,fd00::/8");
  EXPECT_EQ(list.size(), 4u);
  EXPECT_EQ(list.to_string(), "10.0.0.0/8,192.168.1.7/32,::1/128,fd00::/8");
  EXPECT_TRUE(list.contains_text("10.255.0.1"));
  EXPECT_TRUE(list.contains_text("192.168.1.7"));
  EXPECT_FALSE(list.contains_text("192.168.1.8"));
  EXPECT_FALSE(list.contains_text("11.0.0.0"));
  EXPECT_TRUE(list.contains_text("::1"));
  EXPECT_FALSE(list.contains_text("::2"));
  EXPECT_TRUE(list.contains_text("fdff:ffff::1"));
  EXPECT_FALSE(list.contains_text("fe00::1"));
}

TEST(CidrList, ChecksPrefixBoundariesBitByBit) {
  const cidr_list list = parse_ok("192.168.4.0/22,2001:db8:8000::/33");
  EXPECT_FALSE(list.contains_text("192.168.3.255"));
  EXPECT_TRUE(list.contains_text("192.168.4.0"));
  EXPECT_TRUE(list.contains_text("192.168.7.255"));
  EXPECT_FALSE(list.contains_text("192.168.8.0"));
  EXPECT_FALSE(list.contains_text("2001:db8:7fff:ffff::"));
  EXPECT_TRUE(list.contains_text("2001:db8:8000::"));
  EXPECT_TRUE(list.contains_text("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(list.contains_text("2001:db9::"));
}

TEST(CidrList, ZeroBitsCoverTheWholeFamilyOnly) {
  const cidr_list v4 = parse_ok("0.0.0.0/0");
  EXPECT_TRUE(v4.contains_text("1.2.3.4"));
  EXPECT_TRUE(v4.contains_text("255.255.255.255"));
  EXPECT_TRUE(v4.contains_text("::ffff:1.2.3.4"));  // an IPv4 peer on a dual-stack socket
  EXPECT_FALSE(v4.contains_text("::1"));
  const cidr_list v6 = parse_ok("::/0");
  EXPECT_TRUE(v6.contains_text("2001:db8::1"));
  EXPECT_FALSE(v6.contains_text("1.2.3.4"));  // documented: write 0.0.0.0/0 as well
  EXPECT_FALSE(v6.contains_text("::ffff:1.2.3.4"));
}

TEST(CidrList, MatchesIpv4MappedAddressesAgainstIpv4Entries) {
  const cidr_list list = parse_ok("10.0.0.0/8");
  EXPECT_TRUE(list.contains_text("::ffff:10.1.2.3"));
  EXPECT_TRUE(list.contains_text("::FFFF:a01:203"));  // the same address, hex form
  EXPECT_FALSE(list.contains_text("::ffff:11.1.2.3"));
  EXPECT_FALSE(list.contains_text("::10.1.2.3"));  // IPv4-compatible, not mapped
  EXPECT_FALSE(list.contains_text("64:ff9b::10.1.2.3"));
}

TEST(CidrList, StoresMappedEntriesAsIpv4) {
  const cidr_list list = parse_ok("::ffff:10.0.0.0/104, ::ffff:192.0.2.1");
  EXPECT_EQ(list.to_string(), "10.0.0.0/8,192.0.2.1/32");
  EXPECT_TRUE(list.contains_text("10.9.9.9"));
  EXPECT_TRUE(list.contains_text("::ffff:10.9.9.9"));
  EXPECT_TRUE(list.contains_text("192.0.2.1"));
  // Wider than ::ffff:0:0/96: an IPv6 network, which IPv4 peers are not checked against.
  const cidr_list wide = parse_ok("::ffff:0:0/95");
  EXPECT_EQ(wide.to_string(), "::fffe:0:0/95");
  EXPECT_FALSE(wide.contains_text("1.2.3.4"));
  EXPECT_TRUE(wide.contains_text("::fffe:1:2"));
}

TEST(CidrList, MasksHostBits) {
  const cidr_list list = parse_ok("10.0.0.1/8,192.168.1.255/31,2001:db8::ffff/32");
  EXPECT_EQ(list.to_string(), "10.0.0.0/8,192.168.1.254/31,2001:db8::/32");
  EXPECT_TRUE(list.contains_text("10.200.0.0"));
  EXPECT_TRUE(list.contains_text("192.168.1.254"));
  EXPECT_FALSE(list.contains_text("192.168.1.253"));
}

TEST(CidrList, ToleratesSpacesAroundItems) {
  const cidr_list list = parse_ok(" \t10.0.0.0/8 ,\t::1 ");
  EXPECT_EQ(list.to_string(), "10.0.0.0/8,::1/128");
}

TEST(CidrList, ChecksSockaddrsIgnoringThePort) {
  const cidr_list list = parse_ok("127.0.0.0/8,::1");
  auto v4 = *kmr::net::parse_ip("127.0.0.1");
  kmr::net::set_port(v4, 5555);
  EXPECT_TRUE(list.contains(v4));
  auto v6 = *kmr::net::parse_ip("::1");
  kmr::net::set_port(v6, 80);
  EXPECT_TRUE(list.contains(v6));
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  EXPECT_FALSE(list.contains(unix_peer));
  EXPECT_FALSE(list.contains(sockaddr_storage{}));
}

TEST(CidrList, ContainsTextRefusesNonLiterals) {
  const cidr_list list = parse_ok("0.0.0.0/0,::/0");
  for (const std::string& text : {""s, "1.2.3.4:80"s, "[::1]"s, " 1.2.3.4"s, "localhost"s,
                                 "1.2.3.4\0"s, "010.0.0.1"s, "1.2.3.4/32"s}) {
    EXPECT_FALSE(list.contains_text(text)) << text;
  }
}

TEST(CidrList, RejectsEmptyListsAndItems) {
  EXPECT_EQ(parse_error(""), "the address list is empty");
  EXPECT_EQ(parse_error(" \t "), "the address list is empty");
  for (const char* text : {",", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,::1", "::1, ,::2"})
    EXPECT_EQ(parse_error(text), "the address list has an empty item (two commas?)") << text;
}

TEST(CidrList, NamesTheBadItem) {
  EXPECT_EQ(parse_error("10.0.0.0/8,10.0.0.0/33"), "'10.0.0.0/33' is not an address or ADDR/BITS");
  EXPECT_EQ(parse_error("::1/129"), "'::1/129' is not an address or ADDR/BITS");
  EXPECT_EQ(parse_error(" example.com "), "'example.com' is not an address or ADDR/BITS");
}

TEST(CidrList, RejectsMalformedItems) {
  for (const std::string& text :
       {"10.0.0.0/"s, "/8"s, "10.0.0.0/8/8"s, "10.0.0.0/-1"s, "10.0.0.0/+8"s, "10.0.0.0/08"s,
        "10.0.0.0/ 8"s, "10.0.0.0 /8"s, "10.0.0.0/8x"s, "10.0.0.0/1000"s, "10.0.0/8"s,
        "010.0.0.0/8"s, "10.0.0.256"s, "[::1]"s, "[::1]/128"s, "::1%lo"s, "1.2.3.4:80"s,
        "1.2.3.4\0"s, "1.2.3.4/3\0"s, "::ffff:1.2.3.4/129"s, "10.0.0.0;8"s, "10.0.0.0 8"s,
        std::string(100000, '1')}) {
    EXPECT_FALSE(cidr_list::parse(text)) << text;
  }
}

TEST(CidrList, QuotesHostileItemsSafely) {
  const std::string error = parse_error("bad\x01\xff'item" + std::string(500, 'x'));
  EXPECT_EQ(error.find('\x01'), std::string::npos);
  EXPECT_NE(error.find("\\x01\\xff\\x27item"), std::string::npos);
  EXPECT_LT(error.size(), 120u);  // cut short, not 500 bytes
}

TEST(CidrList, HandlesLongLists) {
  std::string text;
  for (int i = 0; i < 256; ++i) {
    if (i > 0) text += ',';
    text += std::to_string(i);
    text += ".0.0.0/8";
  }
  const cidr_list list = parse_ok(text);
  EXPECT_EQ(list.size(), 256u);
  EXPECT_TRUE(list.contains_text("255.1.2.3"));
}

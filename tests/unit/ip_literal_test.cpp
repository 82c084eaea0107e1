// SPDX-License-Identifier: MIT
#include "net/ip_literal.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <cstring>
#include <string>

using kmr::net::ip_text;
using kmr::net::parse_ip;
using kmr::net::port_of;
using kmr::net::set_port;
using kmr::net::to_v4_mapped;
using namespace std::string_literals;

TEST(CidrIpLiteral, ParsesAndPrintsBothFamilies) {
  const auto v4 = parse_ip("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->ss_family, AF_INET);
  EXPECT_EQ(ip_text(*v4), "192.0.2.1");
  EXPECT_EQ(port_of(*v4), 0u);

  const auto v6 = parse_ip("2001:DB8:0:0::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ss_family, AF_INET6);
  EXPECT_EQ(ip_text(*v6), "2001:db8::1");  // inet_ntop's canonical form

  const auto mapped = parse_ip("::ffff:10.1.2.3");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->ss_family, AF_INET6);
  EXPECT_EQ(ip_text(*mapped), "::ffff:10.1.2.3");
}

TEST(CidrIpLiteral, RejectsAnythingButABareLiteral) {
  for (const std::string& text :
       {""s, " 1.2.3.4"s, "1.2.3.4 "s, "1.2.3.4:80"s, "[::1]"s, "::1%lo"s, "01.2.3.4"s,
        "1.2.3"s, "1.2.3.256"s, "localhost"s, "1.2.3.4\0"s, "::1\0junk"s, "1::2::3"s,
        std::string(46, '1'), "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555"s}) {
    EXPECT_FALSE(parse_ip(text)) << text;
  }
}

TEST(CidrIpLiteral, AcceptsTheLongestLiteral) {
  const std::string longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  ASSERT_EQ(longest.size(), kmr::net::max_ip_literal);
  EXPECT_TRUE(parse_ip(longest));
}

TEST(CidrIpLiteral, SetsPortsInNetworkOrder) {
  auto v4 = *parse_ip("1.2.3.4");
  set_port(v4, 0x1234);
  EXPECT_EQ(port_of(v4), 0x1234u);
  sockaddr_in raw{};
  std::memcpy(&raw, &v4, sizeof raw);
  EXPECT_EQ(raw.sin_port, htons(0x1234));

  auto v6 = *parse_ip("::1");
  set_port(v6, 65535);
  EXPECT_EQ(port_of(v6), 65535u);

  sockaddr_storage other{};
  set_port(other, 80);  // no family: left alone
  EXPECT_EQ(port_of(other), 0u);
  EXPECT_EQ(ip_text(other), "");
}

TEST(CidrIpLiteral, MapsIpv4ToIpv6KeepingThePort) {
  auto v4 = *parse_ip("192.0.2.7");
  set_port(v4, 443);
  const auto mapped = to_v4_mapped(v4);
  EXPECT_EQ(mapped.ss_family, AF_INET6);
  EXPECT_EQ(ip_text(mapped), "::ffff:192.0.2.7");
  EXPECT_EQ(port_of(mapped), 443u);
  const auto v6 = *parse_ip("::1");
  EXPECT_EQ(ip_text(to_v4_mapped(v6)), "::1");  // not IPv4: unchanged
}

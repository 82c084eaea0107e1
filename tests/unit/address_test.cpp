// SPDX-License-Identifier: MIT
#include "opt/address.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <string>
#include <vector>

using kmr::opt::host_port;
using kmr::opt::make_host_port;
using kmr::opt::make_host_port_list;
using kmr::opt::parse_host_port;
using kmr::opt::parse_host_port_list;
using kmr::opt::parse_port;
using namespace std::string_literals;

namespace {

host_port parse_ok(std::string_view text) {
  auto a = parse_host_port(text);
  EXPECT_TRUE(a) << "rejected: " << text << " (" << (a ? "" : a.error()) << ")";
  return a ? *a : host_port{};
}

}  // namespace

TEST(ParseHostPort, ParsesIpv4) {
  EXPECT_EQ(parse_ok("1.2.3.4:80"), (host_port{"1.2.3.4", 80}));
  EXPECT_EQ(parse_ok("0.0.0.0:65535"), (host_port{"0.0.0.0", 65535}));
}

TEST(ParseHostPort, ParsesBracketedIpv6) {
  EXPECT_EQ(parse_ok("[::1]:80"), (host_port{"::1", 80}));
  EXPECT_EQ(parse_ok("[::]:0"), (host_port{"::", 0}));
  EXPECT_EQ(parse_ok("[::ffff:1.2.3.4]:8"), (host_port{"::ffff:1.2.3.4", 8}));
}

TEST(ParseHostPort, ParsesHostName) {
  EXPECT_EQ(parse_ok("example.com:443"), (host_port{"example.com", 443}));
  EXPECT_EQ(parse_ok("localhost:0"), (host_port{"localhost", 0}));
  EXPECT_EQ(parse_ok("my_host-1.a.b:1"), (host_port{"my_host-1.a.b", 1}));
}

TEST(ParseHostPort, SplitsBareIpv6AtLastColon_AsOriginal) {
  // As Rust's ToSocketAddrs (kaminari-wire.md §2.3): "::1:8388" is ::1 port 8388.
  EXPECT_EQ(parse_ok("::1:8388"), (host_port{"::1", 8388}));
  EXPECT_EQ(parse_ok(":::8388"), (host_port{"::", 8388}));
  EXPECT_EQ(parse_ok("fe80::1:2:443"), (host_port{"fe80::1:2", 443}));
}

TEST(ParseHostPort, AcceptsLeadingZerosInPort) {
  EXPECT_EQ(parse_ok("1.2.3.4:080"), (host_port{"1.2.3.4", 80}));
  EXPECT_EQ(parse_ok("1.2.3.4:00000"), (host_port{"1.2.3.4", 0}));
}

TEST(ParseHostPort, RejectsMalformed) {
  for (const char* text :
       {"", ":80", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+1",
        "1.2.3.4:8x", "1.2.3.4: 80", "1.2.3.4 :80", "1.2.3.4:000080", "1.2.3.4:99999999999",
        "[::1]80", "[::1", "[::1]", "[::1]:", "[zz]:80", "[]:80", "[1.2.3.4]:80", "a b:80",
        "host:80:90", "fe80::1", "::1", "a..b:80", ".a:80", "a.:80", "a/b:80",
        "1.2.3.256:80", "127.1:80", "999:80", "[::1%eth0]:80", "[::1]:80x", "[::1]]:80"}) {
    const auto a = parse_host_port(text);
    EXPECT_FALSE(a) << "accepted: '" << text << "' as " << a->to_string();
    if (!a) {
      EXPECT_FALSE(a.error().empty()) << text;
    }
  }
}

TEST(ParseHostPort, RejectsOverlongHostNames) {
  const std::string label(63, 'a');
  const std::string name253 = label + "." + label + "." + label + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(parse_host_port(name253 + ":1"));
  EXPECT_FALSE(parse_host_port(name253 + "b:1"));                     // 254 characters
  EXPECT_FALSE(parse_host_port(std::string(300, 'a') + ":80"));       // 300 characters
  EXPECT_FALSE(parse_host_port(std::string(64, 'a') + ".com:80"));    // label over 63
  EXPECT_FALSE(parse_host_port(std::string(1u << 20, 'a') + ":80"));  // 1 MiB
}

TEST(ParseHostPort, RejectsEmbeddedNulAndControlBytes) {
  EXPECT_FALSE(parse_host_port("1.2.3.4\0x:80"s));
  EXPECT_FALSE(parse_host_port("[::1\0]:80"s));
  EXPECT_FALSE(parse_host_port("1.2.3.4:8\0"s));
  EXPECT_FALSE(parse_host_port("a\nb:80"));
  EXPECT_FALSE(parse_host_port("\xff\xfe:80"));
}

TEST(ParseHostPort, QuotesValueSafely_InErrors) {
  const auto a = parse_host_port("a\nb\xff:80");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().find('\n'), std::string::npos);
  EXPECT_NE(a.error().find("'a\\x0ab\\xff'"), std::string::npos) << a.error();
  const auto big = parse_host_port(std::string(100000, '!') + ":1");
  ASSERT_FALSE(big);
  EXPECT_LT(big.error().size(), 200u);  // a hostile value is cut short in the message
}

TEST(ParsePort, ParsesDecimalRange) {
  EXPECT_EQ(parse_port("0").value(), 0);
  EXPECT_EQ(parse_port("65535").value(), 65535);
  EXPECT_EQ(parse_port("080").value(), 80);
  for (const char* bad : {"", " 1", "1 ", "-1", "+1", "65536", "100000", "0x10", "1.0", "１"})
    EXPECT_FALSE(parse_port(bad)) << bad;
  const auto e = parse_port("99999");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), "'99999' is not a port (0-65535)");
}

TEST(MakeHostPort, AcceptsBareAndBracketedIpv6) {
  EXPECT_EQ(make_host_port("::1", "80").value(), (host_port{"::1", 80}));
  EXPECT_EQ(make_host_port("[::1]", "80").value(), (host_port{"::1", 80}));
  EXPECT_EQ(make_host_port("::", "8388").value(), (host_port{"::", 8388}));
}

TEST(MakeHostPort, AcceptsIpv4AndNames) {
  EXPECT_EQ(make_host_port("0.0.0.0", "1").value(), (host_port{"0.0.0.0", 1}));
  EXPECT_EQ(make_host_port("example.com", "443").value(), (host_port{"example.com", 443}));
}

TEST(MakeHostPort, RejectsBadHostOrPort) {
  EXPECT_FALSE(make_host_port("", "80"));
  EXPECT_FALSE(make_host_port("[::1", "80"));
  EXPECT_FALSE(make_host_port("[]", "80"));
  EXPECT_FALSE(make_host_port("[example.com]", "80"));
  EXPECT_FALSE(make_host_port("a:b", "80"));
  EXPECT_FALSE(make_host_port("a,b", "80"));  // several hosts are not supported
  EXPECT_FALSE(make_host_port("::1", ""));
  EXPECT_FALSE(make_host_port("::1", "65536"));
  EXPECT_FALSE(make_host_port("::1", "-1"));
  EXPECT_FALSE(make_host_port("::1", "80 "));
}

TEST(HostPort, FormatsWithBracketsForIpv6) {
  EXPECT_EQ((host_port{"::1", 80}).to_string(), "[::1]:80");
  EXPECT_EQ((host_port{"1.2.3.4", 0}).to_string(), "1.2.3.4:0");
  EXPECT_EQ((host_port{"example.com", 443}).to_string(), "example.com:443");
}

TEST(HostPort, RoundTripsThroughToString) {
  for (const char* text : {"[::1]:80", "1.2.3.4:65535", "example.com:443", "[fe80::1:2]:0"}) {
    const auto a = parse_ok(text);
    EXPECT_EQ(a.to_string(), text);
    EXPECT_EQ(parse_ok(a.to_string()), a);
  }
  EXPECT_EQ(parse_ok("::1:8388").to_string(), "[::1]:8388");
}

TEST(HostPort, ClassifiesLiterals) {
  EXPECT_TRUE((host_port{"::1", 1}).host_is_ipv6_literal());
  EXPECT_TRUE((host_port{"::1", 1}).host_is_ip_literal());
  EXPECT_FALSE((host_port{"1.2.3.4", 1}).host_is_ipv6_literal());
  EXPECT_TRUE((host_port{"1.2.3.4", 1}).host_is_ip_literal());
  EXPECT_FALSE((host_port{"example.com", 1}).host_is_ip_literal());
  EXPECT_FALSE((host_port{"", 1}).host_is_ip_literal());
  EXPECT_FALSE((host_port{std::string(1000, ':'), 1}).host_is_ipv6_literal());
}

TEST(ParseHostPortList, ReadsEachItemInOrder) {
  const auto l = parse_host_port_list("a.example:443,[::1]:444,10.0.0.1:80,::2:81");
  ASSERT_TRUE(l) << l.error();
  EXPECT_EQ(*l, (std::vector<host_port>{{"a.example", 443}, {"::1", 444}, {"10.0.0.1", 80}, {"::2", 81}}));
  EXPECT_EQ(kmr::opt::to_string(*l), "a.example:443,[::1]:444,10.0.0.1:80,[::2]:81");
}

TEST(ParseHostPortList, OneItemIsParseHostPort) {
  const auto l = parse_host_port_list("[::1]:80");
  ASSERT_TRUE(l);
  EXPECT_EQ(*l, (std::vector<host_port>{{"::1", 80}}));
  // The message of a single address is unchanged.
  EXPECT_EQ(parse_host_port_list("nowhere").error(), parse_host_port("nowhere").error());
}

TEST(ParseHostPortList, NamesTheEmptyOrBadItem) {
  EXPECT_EQ(parse_host_port_list("a:1,,b:2").error(), "item 2 is empty");
  EXPECT_EQ(parse_host_port_list(",a:1").error(), "item 1 is empty");
  EXPECT_EQ(parse_host_port_list("a:1,").error(), "item 2 is empty");
  EXPECT_EQ(parse_host_port_list(",").error(), "item 1 is empty");
  const auto bad = parse_host_port_list("a:1,nowhere,b:2");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("item 2 ('nowhere'): ", 0), 0u) << bad.error();
  const auto port = parse_host_port_list("a:1,b:99999");
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error(), "item 2 ('b:99999'): '99999' is not a port (0-65535)");
}

TEST(ParseHostPortList, RejectsAnAddressListedTwice) {
  EXPECT_EQ(parse_host_port_list("a:1,b:2,a:1").error(), "item 3 ('a:1') repeats item 1");
  EXPECT_EQ(parse_host_port_list("[::1]:80,::1:80").error(), "item 2 ('::1:80') repeats item 1");
  EXPECT_TRUE(parse_host_port_list("a:1,a:2"));  // another port is another remote
}

TEST(MakeHostPortList, SharesThePortAmongTheHosts) {
  const auto l = make_host_port_list("a.example,::1,[::2],10.0.0.1", "8388");
  ASSERT_TRUE(l) << l.error();
  EXPECT_EQ(*l, (std::vector<host_port>{{"a.example", 8388}, {"::1", 8388}, {"::2", 8388}, {"10.0.0.1", 8388}}));
  EXPECT_EQ(make_host_port_list("a,,b", "1").error(), "item 2 is empty");
  EXPECT_EQ(make_host_port_list("a,a", "1").error(), "item 2 ('a') repeats item 1");
  EXPECT_EQ(make_host_port_list("a,b c", "1").error().rfind("item 2 ('b c'): ", 0), 0u);
  EXPECT_EQ(make_host_port_list("b c", "1").error(), make_host_port("b c", "1").error());
}

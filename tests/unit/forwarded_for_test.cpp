// SPDX-License-Identifier: MIT
#include "ws/forwarded_for.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include "net/ip_literal.hpp"

#include <optional>
#include <string>

using kmr::net::cidr_list;
using namespace std::string_literals;

namespace {

const cidr_list& trusted() {
  static const cidr_list list = *cidr_list::parse("10.0.0.0/8,::1");
  return list;
}

std::optional<std::string> xff(std::string_view value) {
  auto r = kmr::ws::forwarded_client(value, "", "", trusted());
  if (r) {
    EXPECT_TRUE(kmr::net::parse_ip(*r)) << *r;  // always a bare literal
  }
  return r;
}

std::optional<std::string> real_ip(std::string_view value) {
  return kmr::ws::forwarded_client("", value, "", trusted());
}

std::optional<std::string> forwarded(std::string_view value) {
  auto r = kmr::ws::forwarded_client("", "", value, trusted());
  if (r) {
    EXPECT_TRUE(kmr::net::parse_ip(*r)) << *r;
  }
  return r;
}

constexpr std::nullopt_t none = std::nullopt;

}  // namespace

TEST(ForwardedForXff, PicksTheRightMostUntrustedAddress) {
  EXPECT_EQ(xff("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(xff("203.0.113.7, 10.0.0.2"), "203.0.113.7");
  // What the client wrote itself (the left part) is not believed.
  EXPECT_EQ(xff("198.51.100.1, 203.0.113.7, 10.0.0.2, 10.1.1.1"), "203.0.113.7");
  EXPECT_EQ(xff("10.0.0.9, 203.0.113.7, ::1"), "203.0.113.7");
}

TEST(ForwardedForXff, ReturnsTheLeftMostWhenAllAreTrusted) {
  EXPECT_EQ(xff("10.0.0.1, 10.0.0.2, ::1"), "10.0.0.1");
  EXPECT_EQ(xff("::1"), "::1");
  EXPECT_EQ(xff("::ffff:10.0.0.7, 10.0.0.2"), "::ffff:10.0.0.7");  // mapped, still trusted
}

TEST(ForwardedForXff, StripsPortsAndBrackets) {
  EXPECT_EQ(xff("[2001:db8::1]:4711"), "2001:db8::1");
  EXPECT_EQ(xff("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(xff("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(xff("203.0.113.7:8080"), "203.0.113.7");
  EXPECT_EQ(xff("203.0.113.7:0, [::1]:443"), "203.0.113.7");
  EXPECT_EQ(xff("2001:DB8:0:0::1"), "2001:db8::1");  // as inet_ntop writes it
  // A bare IPv6 literal has no port: "::1:80" is the address ::1:80 (glibc writes it
  // "::0.1.0.128").
  EXPECT_EQ(xff("::1:80"), kmr::net::ip_text(*kmr::net::parse_ip("::1:80")));
}

TEST(ForwardedForXff, StopsAtAMalformedUntrustedEntry) {
  for (const char* list :
       {"203.0.113.7, garbage, 10.0.0.2", "unknown", "203.0.113.7, unknown", "_hidden",
        "1.2.3.4:99999", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:8o", "[1.2.3.4]", "[1.2.3.4]:80",
        "[::1", "[::1]80", "[::1]:", "[::1]:x", "::1]", "01.2.3.4", "1.2.3", "1.2.3.4 5.6.7.8",
        "1.2.3.4;5.6.7.8", "\"1.2.3.4\"", "localhost", "fe80::1%eth0", "1.2.3.4/32",
        "1.2.3.4:80:90", "[]", ":80", "1.2.3.4\t1"}) {
    EXPECT_EQ(xff(list), none) << list;
  }
}

TEST(ForwardedForXff, IgnoresGarbageLeftOfTheAnswer) {
  EXPECT_EQ(xff("garbage, \"quoted, 203.0.113.7, 10.0.0.2"), "203.0.113.7");
}

TEST(ForwardedForXff, SkipsEmptyElementsAndSpace) {
  EXPECT_EQ(xff(" , 203.0.113.7 ,, \t"), "203.0.113.7");
  EXPECT_EQ(xff("\t203.0.113.7\t,10.0.0.1"), "203.0.113.7");
}

TEST(ForwardedForXff, HandlesHugeLists) {
  std::string list = "198.51.100.1";
  for (int i = 0; i < 50000; ++i) list += ", 10.0.0.1";
  EXPECT_EQ(xff(list), "198.51.100.1");
  std::string trusted_only = "10.0.0.3";
  for (int i = 0; i < 50000; ++i) trusted_only += ",10.2.3.4";
  EXPECT_EQ(xff(trusted_only), "10.0.0.3");
  EXPECT_EQ(xff(std::string(200000, ',') + "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(xff(std::string(200000, '1')), none);
}

TEST(ForwardedForXff, RefusesBinaryJunk) {
  EXPECT_EQ(xff("1.2.3.4\0"s), none);
  EXPECT_EQ(xff("\x01\x02\xff"), none);
  EXPECT_EQ(xff("203.0.113.7, \xff\xfe"), none);
}

TEST(ForwardedForXff, WinsOverTheOtherHeaders) {
  EXPECT_EQ(kmr::ws::forwarded_client("203.0.113.7", "198.51.100.2", "for=198.51.100.3",
                                      trusted()),
            "203.0.113.7");
  // Even when it is malformed: the other headers are not asked then.
  EXPECT_EQ(kmr::ws::forwarded_client("bad", "198.51.100.2", "for=198.51.100.3", trusted()), none);
}

TEST(ForwardedForRealIp, IsUsedWhenXffIsEmpty) {
  EXPECT_EQ(real_ip("198.51.100.2"), "198.51.100.2");
  EXPECT_EQ(real_ip("  198.51.100.2\t"), "198.51.100.2");
  EXPECT_EQ(real_ip("[2001:db8::2]:80"), "2001:db8::2");
  EXPECT_EQ(real_ip("10.0.0.1"), "10.0.0.1");  // one value: returned even if trusted
  EXPECT_EQ(kmr::ws::forwarded_client(" , ", "198.51.100.2", "", trusted()), "198.51.100.2");
  EXPECT_EQ(kmr::ws::forwarded_client("", "198.51.100.2", "for=198.51.100.3", trusted()),
            "198.51.100.2");
}

TEST(ForwardedForRealIp, RefusesAnythingButOneAddress) {
  for (const char* value : {"198.51.100.2, 198.51.100.3", "unknown", "1.2.3.4 x", "[::1",
                            "1.2.3.4:65536", "\"1.2.3.4\""}) {
    EXPECT_EQ(real_ip(value), none) << value;
  }
}

TEST(ForwardedForHeader, ReadsTheRfc7239Examples) {  // RFC 7239 §4 and §7.4
  EXPECT_EQ(forwarded("for=\"_gazonk\""), none);
  EXPECT_EQ(forwarded("For=\"[2001:db8:cafe::17]:4711\""), "2001:db8:cafe::17");
  EXPECT_EQ(forwarded("for=192.0.2.60;proto=http;by=203.0.113.43"), "192.0.2.60");
  EXPECT_EQ(forwarded("for=192.0.2.43, for=198.51.100.17"), "198.51.100.17");
  EXPECT_EQ(forwarded("for=192.0.2.43,for=\"[2001:db8:cafe::17]\",for=unknown"), none);
}

TEST(ForwardedForHeader, WalksFromTheRightSkippingTrustedProxies) {
  EXPECT_EQ(forwarded("for=192.0.2.43, for=10.0.0.5;by=10.0.0.6"), "192.0.2.43");
  EXPECT_EQ(forwarded("for=198.51.100.1, for=192.0.2.43, for=\"[::1]:80\""), "192.0.2.43");
  EXPECT_EQ(forwarded("for=10.0.0.1, for=10.0.0.2"), "10.0.0.1");  // all trusted
  EXPECT_EQ(forwarded("for=garbage, for=192.0.2.43, for=10.0.0.5"), "192.0.2.43");
}

TEST(ForwardedForHeader, StopsAtAnElementWithoutAUsableFor) {
  EXPECT_EQ(forwarded("for=192.0.2.43, for=unknown"), none);
  EXPECT_EQ(forwarded("for=192.0.2.43, for=_hidden, for=10.0.0.1"), none);
  EXPECT_EQ(forwarded("for=192.0.2.43, proto=https"), none);  // no for= at all
  EXPECT_EQ(forwarded("for=192.0.2.43;for=192.0.2.44"), none);  // twice in one element
  EXPECT_EQ(forwarded("for=192.0.2.43, for="), none);
  EXPECT_EQ(forwarded("for=192.0.2.43, for=\"\""), none);
  EXPECT_EQ(forwarded("for=192.0.2.43, for192.0.2.44"), none);
  EXPECT_EQ(forwarded("for=192.0.2.43, =192.0.2.44"), none);
}

TEST(ForwardedForHeader, HonoursQuotedStrings) {
  // Commas and semicolons inside quotes do not split.
  EXPECT_EQ(forwarded("for=\"192.0.2.1\";host=\"a,b;c\", for=10.0.0.1"), "192.0.2.1");
  EXPECT_EQ(forwarded("for=\"192.0.2.1:_port\""), "192.0.2.1");  // an obfuscated port
  EXPECT_EQ(forwarded("for=\"1.2.3.\\4\""), "1.2.3.4");           // a quoted-pair
  EXPECT_EQ(forwarded("for=\"\\\"1.2.3.4\""), none);
  EXPECT_EQ(forwarded("for=\"1.2.3.4\"x"), none);
  EXPECT_EQ(forwarded("for=\"1.2.3.4\"\"\""), none);
}

TEST(ForwardedForHeader, RefusesUnterminatedQuotes) {
  EXPECT_EQ(forwarded("for=\"192.0.2.1"), none);
  EXPECT_EQ(forwarded("for=192.0.2.1, for=\"10.0.0.1"), none);
  EXPECT_EQ(forwarded("for=192.0.2.1;host=\"x, for=10.0.0.1"), none);
  EXPECT_EQ(forwarded("for=\"192.0.2.1\\\""), none);  // the closing quote is escaped
  EXPECT_EQ(forwarded("for=\"192.0.2.1\\"), none);
  EXPECT_EQ(forwarded("\"" + std::string(100000, 'x')), none);
}

TEST(ForwardedForHeader, IsLenientWithUnquotedIpv6AndSpacing) {
  EXPECT_EQ(forwarded("for=[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(forwarded("for=[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(forwarded("FOR=192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(forwarded(" for=192.0.2.1 ; proto=https , , for=10.0.0.1 "), "192.0.2.1");
  EXPECT_EQ(forwarded(";;for=192.0.2.1;"), "192.0.2.1");
}

TEST(ForwardedForHeader, RefusesJunk) {
  for (const std::string& value :
       {"for=192.0.2.1\0"s, "for=192.0.2.1 x"s, "for=\"192.0.2.1\x01\""s, "for=\"\xff\""s,
        "for=192.0.2.1=1"s, "for=\"[1.2.3.4]\""s, "for=\"[::1]:99999\""s, "garbage"s,
        std::string(100000, ';'), "for=" + std::string(100000, '1')}) {
    EXPECT_EQ(forwarded(value), none) << value.substr(0, 40);
  }
}

TEST(ForwardedForHeader, HandlesHugeLists) {
  std::string value = "for=198.51.100.1";
  for (int i = 0; i < 20000; ++i) value += ", for=\"10.0.0.1\";proto=https";
  EXPECT_EQ(forwarded(value), "198.51.100.1");
}

TEST(ForwardedFor, ReturnsNothingWithoutHeaders) {
  EXPECT_EQ(kmr::ws::forwarded_client("", "", "", trusted()), none);
  EXPECT_EQ(kmr::ws::forwarded_client(" ", "\t", ",", trusted()), none);
}

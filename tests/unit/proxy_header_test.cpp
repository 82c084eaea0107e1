// SPDX-License-Identifier: MIT
#include "proxy/proxy_header.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include "net/ip_literal.hpp"
#include "proxy/proxy_detail.hpp"
#include "proxy/sockaddr_text.hpp"

#include <netinet/in.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

using kmr::proxy::address_text;
using kmr::proxy::build_v1;
using kmr::proxy::build_v2;
using kmr::proxy::header;
using kmr::proxy::max_header;
using kmr::proxy::max_v1_header;
using kmr::proxy::max_v2_header;
using kmr::proxy::parse;
using kmr::proxy::parse_result;
using kmr::proxy::parse_status;
using namespace std::string_literals;

namespace {

using bytes = std::vector<std::byte>;

bytes hex(std::initializer_list<int> values) {
  bytes out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

bytes text(std::string_view s) {
  bytes out;
  for (const char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const bytes signature = hex({0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a});

// A v2 header from its parts: signature, ver_cmd, fam, the length of `rest`, `rest`.
bytes v2(int ver_cmd, int fam, const bytes& rest) {
  bytes out = signature;
  out.push_back(static_cast<std::byte>(ver_cmd));
  out.push_back(static_cast<std::byte>(fam));
  out.push_back(static_cast<std::byte>(rest.size() >> 8));
  out.push_back(static_cast<std::byte>(rest.size() & 0xff));
  return concat(out, rest);
}

const bytes v4_block = hex({192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb});

sockaddr_storage address(std::string_view ip, std::uint16_t port) {
  auto a = kmr::net::parse_ip(ip);
  EXPECT_TRUE(a) << ip;
  if (!a) return {};
  kmr::net::set_port(*a, port);
  return *a;
}

header make(std::string_view src, std::uint16_t sport, std::string_view dst, std::uint16_t dport,
            bool datagram = false) {
  header h;
  h.datagram = datagram;
  h.source = address(src, sport);
  h.destination = address(dst, dport);
  return h;
}

parse_result parse_bytes(const bytes& b) { return parse(b); }

void expect_complete(const parse_result& r, std::size_t consumed, std::string_view src,
                     std::string_view dst) {
  ASSERT_EQ(r.status, parse_status::complete) << r.error;
  EXPECT_EQ(r.consumed, consumed);
  EXPECT_FALSE(r.value.local);
  EXPECT_EQ(address_text(r.value.source), src);
  EXPECT_EQ(address_text(r.value.destination), dst);
}

void expect_local(const parse_result& r, std::size_t consumed) {
  ASSERT_EQ(r.status, parse_status::complete) << r.error;
  EXPECT_EQ(r.consumed, consumed);
  EXPECT_TRUE(r.value.local);
  EXPECT_EQ(address_text(r.value.source), "unspecified");
  EXPECT_EQ(address_text(r.value.destination), "unspecified");
}

void expect_invalid(const bytes& b, std::string_view why) {
  const parse_result r = parse(b);
  EXPECT_EQ(r.status, parse_status::invalid) << std::string(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_NE(r.error.find(why), std::string::npos) << "error: " << r.error << ", wanted: " << why;
}

// Every proper prefix of a valid header asks for more, never decides.
void expect_prefixes_need_more(const bytes& whole) {
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const parse_result r = parse(std::span(whole).first(n));
    EXPECT_EQ(r.status, parse_status::need_more) << "prefix of " << n << " bytes: " << r.error;
  }
}

}  // namespace

TEST(ProxyHeaderV2, BuildsTheSpecLayoutByteForByte) {
  // spec §2.2: signature, 0x21 (v2, PROXY), 0x11 (INET, STREAM), length 12, then source
  // and destination address, source and destination port, all in network order.
  const bytes expected = concat(signature, hex({0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 1, 198, 51,
                                                100, 7, 0xdc, 0x04, 0x01, 0xbb}));
  EXPECT_EQ(build_v2(make("192.0.2.1", 56324, "198.51.100.7", 443)), expected);
}

TEST(ProxyHeaderV2, BuildsIpv6DatagramByteForByte) {
  const bytes expected = concat(
      signature,
      hex({0x21, 0x22, 0x00, 0x24,                                                       //
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,                  //
           0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe,         //
           0x00, 0x35, 0xff, 0xff}));
  EXPECT_EQ(build_v2(make("2001:db8::1", 53, "2001:db8::ffff:fffe", 65535, true)), expected);
}

TEST(ProxyHeaderV2, BuildsLocalWithoutAddresses) {
  header h = make("192.0.2.1", 1, "192.0.2.2", 2);
  h.local = true;
  EXPECT_EQ(build_v2(h), concat(signature, hex({0x20, 0x00, 0x00, 0x00})));
}

TEST(ProxyHeaderV2, BuildsUnspecForUnsupportedFamilies) {
  header h;
  h.source.ss_family = AF_UNIX;
  h.destination = address("192.0.2.2", 2);
  EXPECT_EQ(build_v2(h), concat(signature, hex({0x21, 0x00, 0x00, 0x00})));
  expect_local(parse_bytes(build_v2(h)), 16);
}

TEST(ProxyHeaderV2, RoundTripsIpv4AndIpv6) {
  const header h4 = make("10.1.2.3", 40000, "10.9.8.7", 8443);
  expect_complete(parse_bytes(build_v2(h4)), 28, "10.1.2.3:40000", "10.9.8.7:8443");
  const header h6 = make("2001:db8::5", 1, "fe80::1", 0);
  expect_complete(parse_bytes(build_v2(h6)), 52, "[2001:db8::5]:1", "[fe80::1]:0");
  EXPECT_FALSE(parse_bytes(build_v2(h6)).value.datagram);
}

TEST(ProxyHeaderV2, RoundTripsDatagram) {
  const parse_result r = parse_bytes(build_v2(make("192.0.2.1", 53, "192.0.2.2", 5353, true)));
  expect_complete(r, 28, "192.0.2.1:53", "192.0.2.2:5353");
  EXPECT_TRUE(r.value.datagram);
  const parse_result r6 = parse_bytes(build_v2(make("::1", 53, "::2", 5353, true)));
  expect_complete(r6, 52, "[::1]:53", "[::2]:5353");
  EXPECT_TRUE(r6.value.datagram);
}

TEST(ProxyHeaderV2, MapsIpv4WhenFamiliesDiffer) {
  const bytes b = build_v2(make("192.0.2.1", 1000, "2001:db8::1", 443));
  EXPECT_EQ(static_cast<int>(b[13]), 0x21);
  expect_complete(parse_bytes(b), 52, "[::ffff:192.0.2.1]:1000", "[2001:db8::1]:443");
  const bytes back = build_v2(make("2001:db8::1", 443, "192.0.2.1", 1000));
  expect_complete(parse_bytes(back), 52, "[2001:db8::1]:443", "[::ffff:192.0.2.1]:1000");
}

TEST(ProxyHeaderV2, KeepsMappedAddressesAsGiven) {
  const bytes b = build_v2(make("::ffff:192.0.2.1", 1, "::ffff:192.0.2.2", 2));
  EXPECT_EQ(static_cast<int>(b[13]), 0x21);
  expect_complete(parse_bytes(b), 52, "[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.2]:2");
}

TEST(ProxyHeaderV2, RoundTripsLocal) {
  header h;
  h.local = true;
  expect_local(parse_bytes(build_v2(h)), 16);
}

TEST(ProxyHeaderV2, SkipsTlvsAndCountsThemAsHeader) {
  // ALPN "h2", a NOOP of zero bytes, an AUTHORITY: all skipped, all consumed.
  const bytes tlvs = hex({0x01, 0x00, 0x02, 'h', '2', 0x04, 0x00, 0x00, 0x02, 0x00, 0x01, 'x'});
  const bytes b = v2(0x21, 0x11, concat(v4_block, tlvs));
  expect_complete(parse_bytes(b), 16 + 12 + 12, "192.0.2.1:56324", "198.51.100.7:443");
  expect_prefixes_need_more(b);
}

TEST(ProxyHeaderV2, LeavesTheBytesAfterTheHeader) {
  const bytes b = concat(build_v2(make("192.0.2.1", 1, "192.0.2.2", 2)), text("GET / HTTP/1.1\r\n"));
  expect_complete(parse_bytes(b), 28, "192.0.2.1:1", "192.0.2.2:2");
  // Payload that happens to look like another header is still payload.
  const bytes twice = concat(build_v2(make("::1", 1, "::2", 2)), build_v2(make("::3", 3, "::4", 4)));
  expect_complete(parse_bytes(twice), 52, "[::1]:1", "[::2]:2");
}

TEST(ProxyHeaderV2, EveryPrefixNeedsMore) {
  expect_prefixes_need_more(build_v2(make("192.0.2.1", 1, "192.0.2.2", 2)));
  expect_prefixes_need_more(build_v2(make("2001:db8::1", 1, "2001:db8::2", 2, true)));
  header local;
  local.local = true;
  expect_prefixes_need_more(build_v2(local));
  expect_prefixes_need_more(v2(0x20, 0x11, v4_block));
  expect_prefixes_need_more(v2(0x21, 0x31, bytes(216, std::byte{'/'})));
}

TEST(ProxyHeaderV2, IgnoresTheAddressesOfLocal) {
  // "Receivers MUST always consider this field to skip the appropriate number of bytes
  // and must not assume zero is presented for LOCAL connections" (spec §2.2).
  expect_local(parse_bytes(v2(0x20, 0x11, v4_block)), 28);
  expect_local(parse_bytes(v2(0x20, 0xff, hex({1, 2, 3}))), 19);  // family ignored for LOCAL
}

TEST(ProxyHeaderV2, TreatsUnspecAndUnixAsLocal) {
  expect_local(parse_bytes(v2(0x21, 0x00, {})), 16);
  expect_local(parse_bytes(v2(0x21, 0x00, hex({1, 2, 3, 4, 5}))), 21);  // opaque, not TLVs
  expect_local(parse_bytes(v2(0x21, 0x10, v4_block)), 28);              // UNSPEC protocol
  expect_local(parse_bytes(v2(0x21, 0x31, bytes(216, std::byte{'/'}))), 232);
  const parse_result dgram = parse_bytes(v2(0x21, 0x32, bytes(216, std::byte{0})));
  expect_local(dgram, 232);
}

TEST(ProxyHeaderV2, AcceptsTheLargestHeader) {
  const std::size_t tlv_len = max_v2_header - 16 - 12 - 3;
  bytes tlv = hex({0x04, static_cast<int>(tlv_len >> 8), static_cast<int>(tlv_len & 0xff)});
  tlv.resize(3 + tlv_len, std::byte{0});
  const bytes b = v2(0x21, 0x11, concat(v4_block, tlv));
  ASSERT_EQ(b.size(), max_v2_header);
  expect_complete(parse_bytes(b), max_v2_header, "192.0.2.1:56324", "198.51.100.7:443");
  EXPECT_EQ(parse(std::span(b).first(b.size() - 1)).status, parse_status::need_more);
}

TEST(ProxyHeaderV2, RefusesATooLargeHeaderFromItsLength) {
  bytes b = signature;
  const std::size_t len = max_v2_header - 16 + 1;
  for (const int v : {0x21, 0x11, static_cast<int>(len >> 8), static_cast<int>(len & 0xff)})
    b.push_back(static_cast<std::byte>(v));
  expect_invalid(b, "too large");  // at once, after 16 bytes
  expect_invalid(concat(signature, hex({0x21, 0x11, 0xff, 0xff})), "too large");
  expect_invalid(concat(signature, hex({0x20, 0x00, 0xff, 0xff})), "too large");  // LOCAL too
}

TEST(ProxyHeaderV2, RefusesWrongSignatures) {
  bytes b = build_v2(make("192.0.2.1", 1, "192.0.2.2", 2));
  for (std::size_t i = 1; i < 12; ++i) {
    bytes bad = b;
    bad[i] ^= std::byte{0x20};
    expect_invalid(bad, "bad v2 signature");
    expect_invalid(bytes(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(i) + 1),
                   "bad v2 signature");  // as soon as the wrong byte is there
  }
  expect_invalid(text("\r\nGET / HTTP/1.1\r\n"), "bad v2 signature");
}

TEST(ProxyHeaderV2, RefusesOtherVersionsAndCommands) {
  expect_invalid(v2(0x11, 0x11, v4_block), "version");
  expect_invalid(v2(0x31, 0x11, v4_block), "version");
  expect_invalid(v2(0x01, 0x11, v4_block), "version");
  expect_invalid(concat(signature, hex({0x11})), "version");  // with 13 bytes only
  expect_invalid(v2(0x22, 0x11, v4_block), "unknown command");
  expect_invalid(v2(0x2f, 0x11, v4_block), "unknown command");
  expect_invalid(concat(signature, hex({0x22})), "unknown command");
}

TEST(ProxyHeaderV2, RefusesUnknownFamiliesAndProtocols) {
  expect_invalid(v2(0x21, 0x41, v4_block), "unknown family");
  expect_invalid(v2(0x21, 0xf1, v4_block), "unknown family");
  expect_invalid(v2(0x21, 0x13, v4_block), "unknown protocol");
  expect_invalid(concat(signature, hex({0x21, 0x13})), "unknown protocol");  // 14 bytes
}

TEST(ProxyHeaderV2, RefusesShortAddressBlocks) {
  expect_invalid(v2(0x21, 0x11, bytes(v4_block.begin(), v4_block.end() - 1)), "too short");
  expect_invalid(v2(0x21, 0x21, bytes(35, std::byte{0})), "too short");
  expect_invalid(v2(0x21, 0x22, bytes(12, std::byte{0})), "too short");
  expect_invalid(v2(0x21, 0x31, bytes(215, std::byte{0})), "too short");
  expect_invalid(v2(0x21, 0x11, {}), "too short");
  // Known from the length field alone, before the block arrives.
  expect_invalid(concat(signature, hex({0x21, 0x11, 0x00, 0x0b})), "too short");
}

TEST(ProxyHeaderV2, RefusesTlvsThatOverrun) {
  expect_invalid(v2(0x21, 0x11, concat(v4_block, hex({0x01, 0x00, 0x03, 'h', '2'}))), "TLV");
  expect_invalid(v2(0x21, 0x11, concat(v4_block, hex({0x01}))), "TLV");        // half a TLV head
  expect_invalid(v2(0x21, 0x11, concat(v4_block, hex({0x01, 0x00}))), "TLV");  // two thirds
  expect_invalid(v2(0x21, 0x11, concat(v4_block, hex({0x04, 0x00, 0x00, 0x01}))), "TLV");
  // The second TLV overruns; seen as soon as its head is there, before its body.
  bytes b = v2(0x21, 0x11, concat(v4_block, hex({0x04, 0x00, 0x00, 0x02, 0x00, 0x05, 1, 2, 3, 4})));
  expect_invalid(b, "TLV");
  expect_invalid(bytes(b.begin(), b.begin() + 16 + 12 + 6), "TLV");
}

TEST(ProxyHeaderV1, ParsesTheSpecExample) {
  const bytes b = text("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n"
                       "Host: 192.168.0.11\r\n\r\n");
  expect_complete(parse_bytes(b), 47, "192.168.0.1:56324", "192.168.0.11:443");
  EXPECT_FALSE(parse_bytes(b).value.datagram);
}

TEST(ProxyHeaderV1, ParsesTheSpecMaximumLines) {
  const std::string v4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
  ASSERT_EQ(v4.size(), 56u);
  expect_complete(parse_bytes(text(v4)), 56, "255.255.255.255:65535", "255.255.255.255:65535");

  const std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const std::string v6 = "PROXY TCP6 " + f + " " + f + " 65535 65535\r\n";
  ASSERT_EQ(v6.size(), 104u);
  expect_complete(parse_bytes(text(v6)), 104, "[" + f + "]:65535", "[" + f + "]:65535");

  expect_local(parse_bytes(text("PROXY UNKNOWN\r\n")), 15);
  const std::string worst = "PROXY UNKNOWN " + f + " " + f + " 65535 65535\r\n";
  ASSERT_EQ(worst.size(), max_v1_header);
  expect_local(parse_bytes(text(worst)), max_v1_header);
}

TEST(ProxyHeaderV1, IgnoresWhatFollowsUnknown) {
  expect_local(parse_bytes(text("PROXY UNKNOWN whatever \x01\xff goes\r\n")), 32);
  expect_local(parse_bytes(text("PROXY UNKNOWN \r\n")), 16);
}

TEST(ProxyHeaderV1, ParsesZerosAndShortIpv6Forms) {
  expect_complete(parse_bytes(text("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n")), 33, "0.0.0.0:0",
                  "10.0.0.1:0");
  expect_complete(parse_bytes(text("PROXY TCP6 :: ::1 1 2\r\n")), 23, "[::]:1", "[::1]:2");
  expect_complete(parse_bytes(text("PROXY TCP6 ::ffff:1.2.3.4 2001:DB8::A 1 2\r\n")), 43,
                  "[::ffff:1.2.3.4]:1", "[2001:db8::a]:2");
}

TEST(ProxyHeaderV1, RoundTrips) {
  const auto check = [](const header& h, std::string_view line, std::string_view src,
                        std::string_view dst) {
    const bytes b = build_v1(h);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), b.size()), line);
    expect_complete(parse_bytes(b), line.size(), src, dst);
    expect_prefixes_need_more(b);
  };
  check(make("192.0.2.1", 56324, "198.51.100.7", 443),
        "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n", "192.0.2.1:56324", "198.51.100.7:443");
  check(make("2001:db8::1", 1, "::1", 65535), "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n",
        "[2001:db8::1]:1", "[::1]:65535");
  check(make("192.0.2.1", 80, "2001:db8::1", 8080),
        "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 80 8080\r\n", "[::ffff:192.0.2.1]:80",
        "[2001:db8::1]:8080");
  check(make("::ffff:10.0.0.1", 1, "::ffff:10.0.0.2", 2),
        "PROXY TCP6 ::ffff:10.0.0.1 ::ffff:10.0.0.2 1 2\r\n", "[::ffff:10.0.0.1]:1",
        "[::ffff:10.0.0.2]:2");
}

TEST(ProxyHeaderV1, WritesUnknownForLocalDatagramAndOtherFamilies) {
  const bytes unknown = text("PROXY UNKNOWN\r\n");
  header local = make("192.0.2.1", 1, "192.0.2.2", 2);
  local.local = true;
  EXPECT_EQ(build_v1(local), unknown);
  EXPECT_EQ(build_v1(make("192.0.2.1", 1, "192.0.2.2", 2, true)), unknown);  // no UDP in v1
  EXPECT_EQ(build_v1(header{}), unknown);
  expect_local(parse_bytes(build_v1(local)), 15);
  expect_prefixes_need_more(unknown);
}

TEST(ProxyHeaderV1, EveryPrefixNeedsMore) {
  const std::string f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  for (const std::string& line :
       {"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"s,
        "PROXY TCP6 " + f + " " + f + " 65535 65535\r\n", "PROXY TCP6 ::ffff:1.2.3.4 :: 0 10\r\n"s,
        "PROXY UNKNOWN " + f + " " + f + " 65535 65535\r\n", "PROXY UNKNOWN\r\n"s}) {
    expect_prefixes_need_more(text(line));
  }
}

TEST(ProxyHeaderV1, RefusesBadAddressesAndPorts) {
  const std::pair<const char*, const char*> cases[] = {
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", "destination port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n", "source port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 080 1\r\n", "source port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 -1 1\r\n", "source port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 +1 1\r\n", "source port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 0x10 1\r\n", "source port"},
      {"PROXY TCP4 ::1 ::2 1 2\r\n", "source address"},
      {"PROXY TCP4 1.2.3.4 ::2 1 2\r\n", "destination address"},
      {"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP6 ::1 5.6.7.8 1 2\r\n", "destination address"},
      {"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP4 localhost 5.6.7.8 1 2\r\n", "source address"},
      {"PROXY TCP6 1::2::3 ::1 1 2\r\n", "source address"},
      {"PROXY TCP6 ::1%lo ::1 1 2\r\n", "source address"},
      {"PROXY TCP6 [::1] ::1 1 2\r\n", "source address"},
      {"PROXY TCP6 12345:: ::1 1 2\r\n", "source address"},
      {"PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "source address"},
      {"PROXY TCP6 ::ffff:1.2.3.04 ::1 1 2\r\n", "source address"},
  };
  for (const auto& [line, why] : cases) expect_invalid(text(line), why);
}

TEST(ProxyHeaderV1, RefusesBadStructure) {
  const std::pair<const char*, const char*> cases[] = {
      {"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "source address"},  // two spaces
      {"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "destination address"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "after the ports"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "after the ports"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "before the ports"},
      {"PROXY TCP4 1.2.3.4\r\n", "before the ports"},
      {"PROXY TCP4\r\n", "before the addresses"},
      {"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "protocol"},
      {"PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "protocol"},
      {"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "protocol"},
      {"PROXY UNKNOWNX\r\n", "protocol"},
      {"PROXY \r\n", "protocol"},
      {"PROXY\r\n", "signature"},
      {"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "protocol"},
      {"PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n", "signature"},
      {"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bare LF"},
      {"PROXY UNKNOWN\n", "bare LF"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR without LF"},
      {"PROXY UNKNOWN\r\r\n", "CR without LF"},
  };
  for (const auto& [line, why] : cases) expect_invalid(text(line), why);
}

TEST(ProxyHeaderV1, RefusesLinesWithoutCrlfWithin107Bytes) {
  const std::string start = "PROXY UNKNOWN ";
  const std::string at_limit = start + std::string(max_v1_header - 2 - start.size(), 'x');
  EXPECT_EQ(parse_bytes(text(at_limit)).status, parse_status::need_more);  // CRLF may follow
  expect_invalid(text(at_limit + "x"), "too long");
  expect_invalid(text(at_limit + "x\r\n"), "too long");
  expect_invalid(text(at_limit + "\rX"), "CR without LF");
  expect_invalid(text(start + std::string(5000, 'x')), "too long");
  expect_local(parse_bytes(text(at_limit + "\r\n")), max_v1_header);
}

TEST(ProxyHeaderV1, RefusesAsSoonAsAFieldIsWrong) {
  // No CRLF yet: the line so far can no longer become valid.
  for (const char* partial :
       {"PRX", "PROXY_", "PROXY TCP", "PROXY TCP4 256", "PROXY TCP4 1.2.3.4.", "PROXY TCP4 01",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ",
        "PROXY TCP6 :::", "PROXY TCP6 1::2::", "PROXY TCP6 g", "PROXY TCP6 1.2",
        "PROXY TCP6 1:2:3:4:5:6:7:8:", "PROXY TCP6 ::ffff:1.2.3.4.", "PROXY UNKNOWNN"}) {
    const parse_result r = parse_bytes(text(partial));
    if (std::string_view(partial) == "PROXY TCP") {
      EXPECT_EQ(r.status, parse_status::need_more);  // TCP4 and TCP6 are still possible
      continue;
    }
    EXPECT_EQ(r.status, parse_status::invalid) << partial;
  }
}

TEST(ProxyHeader, RefusesAnyOtherFirstByteAtOnce) {
  for (int b = 0; b < 256; ++b) {
    if (b == 'P' || b == '\r') continue;
    const parse_result r = parse(hex({b}));
    EXPECT_EQ(r.status, parse_status::invalid) << b;
    EXPECT_EQ(r.error, "not a PROXY protocol header");
  }
  expect_invalid(text("GET / HTTP/1.1\r\n"), "not a PROXY");
  expect_invalid(hex({0x16, 0x03, 0x01}), "not a PROXY");  // a TLS ClientHello
  EXPECT_EQ(parse({}).status, parse_status::need_more);
}

TEST(ProxyHeader, NeedMoreStaysBelowMaxHeader) {
  EXPECT_EQ(max_header, max_v2_header);
  EXPECT_GE(max_header, max_v1_header);
  // The longest inputs that still need more: a v2 header of the largest length one
  // byte short, and a v1 line one CRLF short of 107 bytes.
  const bytes b = v2(0x20, 0x00, bytes(max_v2_header - 16, std::byte{0}));
  EXPECT_EQ(parse(std::span(b).first(max_v2_header - 1)).status, parse_status::need_more);
  EXPECT_EQ(parse(b).status, parse_status::complete);
  const bytes line = text("PROXY UNKNOWN " + std::string(max_v1_header - 16, '-'));
  EXPECT_EQ(parse_bytes(line).status, parse_status::need_more);
  EXPECT_EQ(parse_bytes(concat(line, text("-"))).status, parse_status::invalid);
}

TEST(ProxyHeaderFields, AcceptEveryPrefixOfValidIpv6) {
  for (const char* ip :
       {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
        "1::8", "fe80::1:2:3:4", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4",
        "1:2:3:4:5::1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ABCD:ef01::"}) {
    const std::string_view s = ip;
    ASSERT_TRUE(kmr::net::parse_ip(s)) << s;
    EXPECT_TRUE(kmr::proxy::detail::ipv6_text_ok(s, true)) << s;
    for (std::size_t n = 0; n <= s.size(); ++n)
      EXPECT_TRUE(kmr::proxy::detail::ipv6_text_ok(s.substr(0, n), false)) << s.substr(0, n);
  }
}

TEST(ProxyHeaderFields, RefuseImpossibleIpv6Prefixes) {
  for (const char* ip : {":1", ":::", "1:::", "1::2::", "12345", "g", "1:2:3:4:5:6:7:8:",
                         "1::2:3:4:5:6:7:", "1.2", "::1.2.3.4.", "::1.2.3.4:", "1:2:3:4:5:6:7:1.",
                         "::ab.1", "::01.", ":.", "1::%"}) {
    EXPECT_FALSE(kmr::proxy::detail::ipv6_text_ok(ip, false)) << ip;
  }
}

TEST(ProxyHeaderFields, CheckIpv4AndPortsStrictly) {
  using kmr::proxy::detail::ipv4_text_ok;
  using kmr::proxy::detail::port_text_ok;
  EXPECT_TRUE(ipv4_text_ok("0.0.0.0", true));
  EXPECT_TRUE(ipv4_text_ok("255.255.255.255", true));
  EXPECT_TRUE(ipv4_text_ok("", false));
  EXPECT_TRUE(ipv4_text_ok("10.", false));
  EXPECT_FALSE(ipv4_text_ok("10.", true));
  EXPECT_FALSE(ipv4_text_ok("", true));
  EXPECT_FALSE(ipv4_text_ok("00", false));
  EXPECT_FALSE(ipv4_text_ok("1.2.3.4.5", false));
  EXPECT_FALSE(ipv4_text_ok("1000", false));
  EXPECT_TRUE(port_text_ok("0", true));
  EXPECT_TRUE(port_text_ok("65535", true));
  EXPECT_TRUE(port_text_ok("", false));
  EXPECT_FALSE(port_text_ok("", true));
  EXPECT_FALSE(port_text_ok("00", false));
  EXPECT_FALSE(port_text_ok("65536", false));
  EXPECT_FALSE(port_text_ok("655350", false));
  EXPECT_FALSE(port_text_ok("6553a", false));
}

TEST(ProxyHeader, PrintsAddressesForLogs) {
  EXPECT_EQ(address_text(address("192.0.2.1", 80)), "192.0.2.1:80");
  EXPECT_EQ(address_text(address("2001:db8::1", 443)), "[2001:db8::1]:443");
  EXPECT_EQ(address_text(sockaddr_storage{}), "unspecified");
}

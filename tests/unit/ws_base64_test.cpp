// SPDX-License-Identifier: MIT
#include "ws/base64.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

using kmr::ws::base64_decode;
using kmr::ws::base64_decoded_size;
using kmr::ws::base64_encode;

namespace {

std::vector<std::byte> text(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace

TEST(WsBase64, EncodesRfc4648Vectors) {  // RFC 4648 §10
  EXPECT_EQ(base64_encode(text("")), "");
  EXPECT_EQ(base64_encode(text("f")), "Zg==");
  EXPECT_EQ(base64_encode(text("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(text("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(text("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(text("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(text("foobar")), "Zm9vYmFy");
}

TEST(WsBase64, DecodesRfc4648Vectors) {
  for (std::string_view plain : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const auto d = base64_decode(base64_encode(text(plain)));
    ASSERT_TRUE(d) << plain;
    EXPECT_EQ(*d, text(plain));
  }
}

TEST(WsBase64, DecodesTheRfc6455SampleKeyTo16Bytes) {
  const auto d = base64_decode("dGhlIHNhbXBsZSBub25jZQ==");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, text("the sample nonce"));
  EXPECT_EQ(base64_decoded_size("dGhlIHNhbXBsZSBub25jZQ=="), 16u);
}

TEST(WsBase64, RoundTripsAllByteValuesAndLengths) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    std::vector<std::byte> data(n);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    const std::string e = base64_encode(data);
    EXPECT_EQ(e.size(), (n + 2) / 3 * 4);
    const auto d = base64_decode(e);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, data);
  }
}

TEST(WsBase64, EncodesTheWholeAlphabet) {
  std::vector<std::byte> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::byte>(i));
  const std::string e = base64_encode(all);
  EXPECT_NE(e.find('+'), std::string::npos);
  EXPECT_NE(e.find('/'), std::string::npos);
}

TEST(WsBase64, RejectsMissingPadding) {
  EXPECT_FALSE(base64_decode("Zg"));
  EXPECT_FALSE(base64_decode("Zm8"));
  EXPECT_FALSE(base64_decode("dGhlIHNhbXBsZSBub25jZQ"));
}

TEST(WsBase64, RejectsWhitespaceAndForeignCharacters) {
  EXPECT_FALSE(base64_decode("Zm9v "));
  EXPECT_FALSE(base64_decode(" Zm9v"));
  EXPECT_FALSE(base64_decode("Zm\r\n9v"));
  EXPECT_FALSE(base64_decode("Zm9-"));  // base64url alphabet
  EXPECT_FALSE(base64_decode("Zm9_"));
  EXPECT_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(base64_decode("Zm9\xff"));
}

TEST(WsBase64, RejectsMisplacedPadding) {
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("Zg=a"));
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding only at the very end
  EXPECT_FALSE(base64_decode("=Zm9"));
}

TEST(WsBase64, RejectsNonCanonicalTrailingBits) {  // RFC 4648 §3.5
  EXPECT_TRUE(base64_decode("Zg=="));
  EXPECT_FALSE(base64_decode("Zh=="));
  EXPECT_TRUE(base64_decode("Zm8="));
  EXPECT_FALSE(base64_decode("Zm9="));
}

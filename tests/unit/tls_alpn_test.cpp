// SPDX-License-Identifier: MIT
#include "tls/alpn.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <string>

using kmr::tls::encode_alpn;

TEST(TlsAlpn, EncodesLengthPrefixedNames) {  // RFC 7301 §3.1
  const auto wire = encode_alpn({"h2", "http/1.1"});
  ASSERT_TRUE(wire);
  EXPECT_EQ(*wire, std::string("\x02h2\x08http/1.1"));
}

TEST(TlsAlpn, EncodesAnEmptyListAsNothing) {
  const auto wire = encode_alpn({});
  ASSERT_TRUE(wire);
  EXPECT_TRUE(wire->empty());
}

TEST(TlsAlpn, Accepts255ByteName) {
  const auto wire = encode_alpn({std::string(255, 'a')});
  ASSERT_TRUE(wire);
  EXPECT_EQ(wire->size(), 256u);
  EXPECT_EQ(static_cast<unsigned char>((*wire)[0]), 255u);
}

TEST(TlsAlpn, RejectsEmptyName) {
  const auto wire = encode_alpn({"h2", ""});
  ASSERT_FALSE(wire);
  EXPECT_EQ(wire.error().key, "alpn");
  EXPECT_EQ(wire.error().message, "each protocol name must be 1 to 255 bytes long, not 0");
}

TEST(TlsAlpn, Rejects256ByteName) {
  const auto wire = encode_alpn({std::string(256, 'a')});
  ASSERT_FALSE(wire);
  EXPECT_EQ(wire.error().key, "alpn");
  EXPECT_EQ(wire.error().message, "each protocol name must be 1 to 255 bytes long, not 256");
}

TEST(TlsAlpn, RejectsListLongerThanTheExtension) {
  const std::vector<std::string> names(300, std::string(255, 'x'));
  const auto wire = encode_alpn(names);
  ASSERT_FALSE(wire);
  EXPECT_EQ(wire.error().key, "alpn");
}

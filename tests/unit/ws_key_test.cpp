// SPDX-License-Identifier: MIT
#include "ws/key.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

using kmr::ws::accept_key;
using kmr::ws::fill_random;
using kmr::ws::is_valid_client_key;
using kmr::ws::new_client_key;

TEST(WsKey, AcceptKeyMatchesRfc6455Sample) {  // RFC 6455 §1.3, kaminari-wire §14.2
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsKey, AcceptKeyUsesTheRawKeyBytes) {
  // Any bytes are hashed as they are; only the request parser checks the key's format.
  EXPECT_EQ(accept_key("").size(), 28u);
  EXPECT_NE(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), accept_key("dGhlIHNhbXBsZSBub25jZQ== "));
}

TEST(WsKey, NewClientKeyIsFresh16ByteBase64) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string k = new_client_key();
    EXPECT_EQ(k.size(), 24u);
    EXPECT_EQ(k.substr(22), "==");
    EXPECT_TRUE(is_valid_client_key(k));
    seen.insert(k);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(WsKey, ValidatesClientKeys) {
  EXPECT_TRUE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(is_valid_client_key(""));
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));    // no padding
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZSE="));  // 17 bytes
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));      // 15 bytes
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ==\r"));
  EXPECT_FALSE(is_valid_client_key("not base64 at all!!!!!=="));
}

TEST(WsKey, FillRandomFillsTheBuffer) {
  std::array<std::byte, 64> a{}, b{};
  ASSERT_TRUE(fill_random(a));
  ASSERT_TRUE(fill_random(b));
  EXPECT_NE(a, b);
  EXPECT_TRUE(fill_random({}));
}

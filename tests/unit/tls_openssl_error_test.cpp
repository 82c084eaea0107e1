// SPDX-License-Identifier: MIT
#include "tls/openssl_error.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

using kmr::tls::take_openssl_errors;
using kmr::tls::take_openssl_reasons;

// The product loads OpenSSL's error strings when it builds its first SSL_CTX; these tests
// build none, and ctest runs each test alone, so load them here.
[[maybe_unused]] static const int strings_loaded =
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);

TEST(TlsOpensslError, TakeErrorsIsEmptyWithoutErrors) {
  ERR_clear_error();
  EXPECT_EQ(take_openssl_errors(), "");
}

TEST(TlsOpensslError, TakeErrorsJoinsEveryErrorAndClearsTheQueue) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
  ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
  const std::string text = take_openssl_errors();
  EXPECT_NE(text.find("error:0480006C:PEM routines::no start line"), std::string::npos) << text;
  EXPECT_NE(text.find("; error:0A000086:SSL routines::certificate verify failed"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_EQ(take_openssl_errors(), "");
}

TEST(TlsOpensslError, TakeErrorsKeepsTheExtraText) {
  ERR_clear_error();
  ERR_raise_data(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, "Verify error:%s",
                 "certificate has expired");
  EXPECT_NE(take_openssl_errors().find("(Verify error:certificate has expired)"),
            std::string::npos);
}

TEST(TlsOpensslError, TakeReasonsSaysEachReasonOnce) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
  ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
  ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
  EXPECT_EQ(take_openssl_reasons(), "no start line; certificate verify failed");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsOpensslError, TakeReasonsGivesTheFallbackWhenEmpty) {
  ERR_clear_error();
  EXPECT_EQ(take_openssl_reasons("nothing queued"), "nothing queued");
}

// SPDX-License-Identifier: MIT
// The test certificate factory itself (tests/support/test_pki): what the TLS tests rely on.
#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>

#include <filesystem>

namespace {

using kmr::test::cert_spec;
using kmr::test::test_pki;

void free_x509_stack(STACK_OF(X509) * s) { sk_X509_free(s); }  // sk_X509_free is a macro

// Verifies `leaf` against the root of `pki` at the current time.
int verify(const test_pki& pki, X509* leaf, STACK_OF(X509) * untrusted = nullptr) {
  const std::unique_ptr<X509_STORE, kmr::tls::openssl_free<X509_STORE_free>> store(
      X509_STORE_new());
  X509_STORE_add_cert(store.get(), pki.ca().cert.get());
  const std::unique_ptr<X509_STORE_CTX, kmr::tls::openssl_free<X509_STORE_CTX_free>> ctx(
      X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

TEST(TlsTestPki, RootIsASelfSignedCa) {
  const test_pki pki;
  EXPECT_EQ(X509_check_ca(pki.ca().cert.get()), 1);
  EXPECT_TRUE(std::filesystem::exists(pki.ca_file()));
  EXPECT_EQ(verify(pki, pki.ca().cert.get()), X509_V_OK);
}

TEST(TlsTestPki, IssuesLeavesThatVerify) {
  const test_pki pki;
  const auto leaf = pki.issue(cert_spec{.dns_names = {"a.test"}, .ips = {"127.0.0.1"}});
  EXPECT_EQ(verify(pki, leaf.cert.get()), X509_V_OK);
  EXPECT_EQ(X509_check_host(leaf.cert.get(), "a.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.cert.get(), "127.0.0.1", 0), 1);
}

TEST(TlsTestPki, IssuesExpiredLeaves) {
  const test_pki pki;
  const auto leaf = pki.issue(cert_spec{.dns_names = {"old.test"},
                                        .valid_from = std::chrono::hours(-48),
                                        .valid_until = std::chrono::hours(-24)});
  EXPECT_EQ(verify(pki, leaf.cert.get()), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(TlsTestPki, IssuesThroughAnIntermediate) {
  const test_pki pki;
  const auto inter = pki.issue(cert_spec{.is_ca = true});
  const auto leaf = pki.issue(cert_spec{.dns_names = {"b.test"}}, &inter);
  const std::unique_ptr<STACK_OF(X509), kmr::tls::openssl_free<free_x509_stack>> untrusted(
      sk_X509_new_null());
  sk_X509_push(untrusted.get(), inter.cert.get());
  EXPECT_EQ(verify(pki, leaf.cert.get(), untrusted.get()), X509_V_OK);
  EXPECT_NE(verify(pki, leaf.cert.get()), X509_V_OK);
}

TEST(TlsTestPki, RemovesItsDirectory) {
  std::string dir;
  {
    const test_pki pki;
    dir = pki.dir();
    pki.write_file("x", "y");
    EXPECT_TRUE(std::filesystem::exists(dir + "/x"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(TlsTestPki, OcspResponseSaysGoodAndVerifies) {
  const test_pki pki;
  const auto leaf = pki.issue(cert_spec{.dns_names = {"c.test"}});
  const std::string der = pki.ocsp_good(leaf.cert.get());
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const kmr::tls::ocsp_response_ptr response(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(response);
  EXPECT_EQ(OCSP_response_status(response.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  const kmr::tls::ocsp_basicresp_ptr basic(OCSP_response_get1_basic(response.get()));
  ASSERT_TRUE(basic);

  const std::unique_ptr<X509_STORE, kmr::tls::openssl_free<X509_STORE_free>> store(
      X509_STORE_new());
  X509_STORE_add_cert(store.get(), pki.ca().cert.get());
  EXPECT_EQ(OCSP_basic_verify(basic.get(), nullptr, store.get(), 0), 1);
  using certid_ptr = std::unique_ptr<OCSP_CERTID, kmr::tls::openssl_free<OCSP_CERTID_free>>;
  const certid_ptr id(OCSP_cert_to_id(EVP_sha1(), leaf.cert.get(), pki.ca().cert.get()));
  int status = -1;
  ASSERT_EQ(
      OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
}

}  // namespace

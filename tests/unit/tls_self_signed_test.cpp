// SPDX-License-Identifier: MIT
#include "tls/self_signed.hpp"  // first: the header must compile on its own

#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <ctime>
#include <string>

namespace {

using kmr::tls::make_self_signed;

// The certificate as a server built with servername= actually presents it.
kmr::tls::x509_ptr server_certificate(const std::string& name) {
  kmr::tls::server_settings s;
  s.self_signed_name = name;
  auto ctx = kmr::tls::make_server_context(s);
  if (!ctx) {
    ADD_FAILURE() << ctx.error().message;
    return nullptr;
  }
  X509* cert = SSL_CTX_get0_certificate(ctx->get());
  X509_up_ref(cert);
  return kmr::tls::x509_ptr(cert);
}

std::string common_name(X509* cert) {
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf) < 0)
    return "";
  return buf;
}

// The only subjectAltName entry as {type, bytes}.
std::pair<int, std::string> only_san(X509* cert) {
  const kmr::tls::general_names_ptr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names || sk_GENERAL_NAME_num(names.get()) != 1) return {-1, ""};
  int type = 0;
  const auto* value = static_cast<ASN1_STRING*>(
      GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), 0), &type));
  return {type, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                            static_cast<std::size_t>(ASN1_STRING_length(value)))};
}

std::string ip_bytes(int family, const char* text) {
  unsigned char buf[16];
  EXPECT_EQ(inet_pton(family, text, buf), 1);
  return std::string(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
}

TEST(TlsSelfSigned, CarriesTheNameAsCnAndDnsSan) {
  const auto cert = server_certificate("tunnel.example.com");
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "tunnel.example.com");
  EXPECT_EQ(only_san(cert.get()),
            std::make_pair(static_cast<int>(GEN_DNS), std::string("tunnel.example.com")));
  EXPECT_EQ(X509_check_host(cert.get(), "tunnel.example.com", 0, 0, nullptr), 1);
}

TEST(TlsSelfSigned, UsesIpSanForIpv4Literal) {
  const auto cert = server_certificate("127.0.0.1");
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "127.0.0.1");
  EXPECT_EQ(only_san(cert.get()),
            std::make_pair(static_cast<int>(GEN_IPADD), ip_bytes(AF_INET, "127.0.0.1")));
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
}

TEST(TlsSelfSigned, UsesIpSanForIpv6Literal) {
  const auto cert = server_certificate("::1");
  ASSERT_TRUE(cert);
  EXPECT_EQ(only_san(cert.get()),
            std::make_pair(static_cast<int>(GEN_IPADD), ip_bytes(AF_INET6, "::1")));
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
}

TEST(TlsSelfSigned, IsAnEcdsaP256ServerCertificate) {
  const auto cert = server_certificate("kmr.test");
  ASSERT_TRUE(cert);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(key), EVP_PKEY_EC);
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_verify(cert.get(), key), 1);  // self-signed
  EXPECT_EQ(X509_check_ca(cert.get()), 0);     // CA:FALSE
  EXPECT_NE(X509_get_extension_flags(cert.get()) & EXFLAG_BCONS, 0u);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
}

TEST(TlsSelfSigned, ValidityCoversNowWithSkewMarginForAYear) {
  const auto cert = server_certificate("kmr.test");
  ASSERT_TRUE(cert);
  const std::time_t now = std::time(nullptr);
  std::time_t t = now - 50 * 60;  // still valid for a client whose clock is 50 minutes behind
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &t), 0);
  t = now + 364L * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert.get()), &t), 0);
  t = now + 366L * 24 * 3600;
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert.get()), &t), 0);
}

TEST(TlsSelfSigned, SerialIsRandom) {
  const auto a = make_self_signed("kmr.test");
  const auto b = make_self_signed("kmr.test");
  ASSERT_TRUE(a && b);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->cert.get()),
                             X509_get0_serialNumber(b->cert.get())),
            0);
  EXPECT_EQ(EVP_PKEY_eq(a->key.get(), b->key.get()), 0);  // a fresh key each time
}

TEST(TlsSelfSigned, OmitsCnForNamesLongerThan64Characters) {
  const std::string name = std::string(60, 'a') + ".example.com";
  const auto made = make_self_signed(name);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(common_name(made->cert.get()), "");
  EXPECT_EQ(only_san(made->cert.get()).second, name);
}

TEST(TlsSelfSigned, RefusesNonAsciiName) {
  const auto made = make_self_signed("bücher.example");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().key, "servername");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsSelfSigned, CommaCannotAddSanEntries) {
  const auto made = make_self_signed("a.test,DNS:evil.test");
  ASSERT_TRUE(made);
  EXPECT_EQ(X509_check_host(made->cert.get(), "evil.test", 0, 0, nullptr), 0);
  EXPECT_EQ(only_san(made->cert.get()).first, GEN_DNS);
}

}  // namespace

// SPDX-License-Identifier: MIT
#include "tls/certificate_info.hpp"  // first: the header must compile on its own

#include "support/test_pki.hpp"
#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace {

using kmr::test::cert_spec;
using kmr::test::test_pki;
using kmr::tls::certificate_summary;
using kmr::tls::describe;
using kmr::tls::expiry_warning;
using kmr::tls::summarize;
using namespace std::chrono;
using namespace std::chrono_literals;

test_pki& pki() {
  static test_pki instance;
  return instance;
}

// 2027-01-02 03:04:05 UTC.
const system_clock::time_point expiry = sys_days(2027y / January / 2) + 3h + 4min + 5s;

const certificate_summary example{"CN=example.com", "4A1F03", expiry};

// The certificate's serial and notAfter replaced, then signed again by the test CA.
void rewrite(X509* cert, long serial, const char* not_after) {
  using integer_ptr = std::unique_ptr<ASN1_INTEGER, kmr::tls::openssl_free<ASN1_INTEGER_free>>;
  const integer_ptr n(ASN1_INTEGER_new());
  const kmr::tls::asn1_time_ptr t(ASN1_TIME_new());
  ASSERT_EQ(ASN1_INTEGER_set(n.get(), serial), 1);
  ASSERT_EQ(ASN1_TIME_set_string(t.get(), not_after), 1);
  ASSERT_EQ(X509_set_serialNumber(cert, n.get()), 1);
  ASSERT_EQ(X509_set1_notAfter(cert, t.get()), 1);
  ASSERT_GT(X509_sign(cert, pki().ca().key.get(), EVP_sha256()), 0);
}

std::string bn_hex(const X509* cert) {
  const kmr::tls::bignum_ptr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

// What `openssl x509 -serial -noout` prints after "serial=" for the written file.
std::string openssl_serial(const X509* cert, const std::string& name) {
  const std::string file = pki().write_certs(name, {cert});
  std::FILE* p = ::popen(("openssl x509 -serial -noout -in '" + file + "'").c_str(), "r");
  if (p == nullptr) return "<popen failed>";
  char line[512] = {};
  const bool got = std::fgets(line, sizeof line, p) != nullptr;
  ::pclose(p);
  std::string out = got ? line : "";
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out.rfind("serial=", 0) == 0 ? out.substr(7) : "<" + out + ">";
}

TEST(TlsCertificateInfo, SummarizesSubjectSerialAndExpiry) {
  const auto id = pki().issue(cert_spec{.dns_names = {"example.com"}, .valid_until = 24h * 30});
  const auto s = summarize(id.cert.get());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->subject, "CN=example.com");
  EXPECT_EQ(s->serial, bn_hex(id.cert.get()));
  EXPECT_EQ(s->serial, openssl_serial(id.cert.get(), "summary.crt"));
  int days = 0;
  int secs = 0;  // ASN1_TIME_diff from null: from the current time
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(id.cert.get())), 1);
  const auto want = system_clock::now() + 24h * days + seconds(secs);
  EXPECT_LT(abs(s->not_after - want), 5s);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsCertificateInfo, ReadsExactExpiryAndSerials) {
  auto id = pki().issue(cert_spec{.dns_names = {"example.com"}});
  for (const long serial : {0x4A1F03L, 0x80L, 0x0AL, 0L, 0x7FFFFFFFL}) {
    rewrite(id.cert.get(), serial, "20270102030405Z");  // UTCTime
    const auto s = summarize(id.cert.get());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->not_after, expiry);
    EXPECT_EQ(s->serial, openssl_serial(id.cert.get(), "serial.crt")) << serial;
    if (serial != 0) {
      EXPECT_EQ(s->serial, bn_hex(id.cert.get()));  // BN says "0" for zero
    }
  }
  EXPECT_EQ(summarize(id.cert.get())->serial, "7FFFFFFF");
  rewrite(id.cert.get(), 0x4A1F03, "20600304050607Z");  // GeneralizedTime (2050 and later)
  EXPECT_EQ(summarize(id.cert.get())->not_after, sys_days(2060y / March / 4) + 5h + 6min + 7s);
  EXPECT_EQ(describe(*summarize(id.cert.get()), expiry),
            "subject CN=example.com, serial 4A1F03, expires 2060-03-04 05:06:07 UTC "
            "(in 12115 days)");
}

TEST(TlsCertificateInfo, RefusesUnreadableCertificateAndClearsErrors) {
  EXPECT_FALSE(summarize(nullptr));
  EXPECT_FALSE(kmr::tls::summarize_context(nullptr));
  auto id = pki().issue(cert_spec{.dns_names = {"example.com"}});
  ASSERT_EQ(ASN1_STRING_set(X509_getm_notAfter(id.cert.get()), "not a time", -1), 1);
  EXPECT_FALSE(summarize(id.cert.get()));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsCertificateInfo, DescribesInDaysAndHours) {
  EXPECT_EQ(describe(example, expiry - 24h * 29 - 5h),
            "subject CN=example.com, serial 4A1F03, expires 2027-01-02 03:04:05 UTC (in 29 days)");
  EXPECT_EQ(describe(example, expiry + 24h * 3 + 1h),
            "subject CN=example.com, serial 4A1F03, expires 2027-01-02 03:04:05 UTC "
            "(expired 3 days ago)");
  const auto tail = [](system_clock::time_point now) {
    const std::string text = describe(example, now);
    return text.substr(text.find('('));
  };
  EXPECT_EQ(tail(expiry - 24h * 29), "(in 29 days)");
  EXPECT_EQ(tail(expiry - 24h * 29 + 1s), "(in 28 days)");  // rounded down
  EXPECT_EQ(tail(expiry - 24h * 29 + 1ms), "(in 28 days)");
  EXPECT_EQ(tail(expiry - 24h), "(in 1 day)");
  EXPECT_EQ(tail(expiry - 24h + 1s), "(in 23 hours)");
  EXPECT_EQ(tail(expiry - 5h - 59min), "(in 5 hours)");
  EXPECT_EQ(tail(expiry - 1h), "(in 1 hour)");
  EXPECT_EQ(tail(expiry - 59min), "(in 0 hours)");
  EXPECT_EQ(tail(expiry), "(in 0 hours)");  // still valid at notAfter itself
  EXPECT_EQ(tail(expiry + 1s), "(expired 0 hours ago)");
  EXPECT_EQ(tail(expiry + 2h + 30min), "(expired 2 hours ago)");
  EXPECT_EQ(tail(expiry + 24h), "(expired 1 day ago)");
}

TEST(TlsCertificateInfo, WarnsWithinFourteenDays) {
  const std::string file = "/etc/kaminari/cert.pem";
  EXPECT_EQ(kmr::tls::expiry_warning_window, 24h * 14);
  EXPECT_EQ(expiry_warning(example, file, expiry - 24h * 14 - 1s), "");
  EXPECT_EQ(expiry_warning(example, file, expiry - 24h * 14),
            "certificate /etc/kaminari/cert.pem expires in 14 days (2027-01-02 03:04:05 UTC)");
  EXPECT_EQ(expiry_warning(example, file, expiry - 24h * 3 - 2h),
            "certificate /etc/kaminari/cert.pem expires in 3 days (2027-01-02 03:04:05 UTC)");
  EXPECT_EQ(expiry_warning(example, file, expiry - 5h),
            "certificate /etc/kaminari/cert.pem expires in 5 hours (2027-01-02 03:04:05 UTC)");
  EXPECT_EQ(expiry_warning(example, file, expiry + 24h * 2 + 1h),
            "certificate /etc/kaminari/cert.pem expired 2 days ago (2027-01-02 03:04:05 UTC)");
  EXPECT_TRUE(kmr::tls::expires_within(example, 1h, expiry - 1h));
  EXPECT_FALSE(kmr::tls::expires_within(example, 1h, expiry - 1h - 1s));
  EXPECT_TRUE(kmr::tls::expires_within(example, 0s, expiry + 1s));
}

// The date text against the C library's own formatting of the same instant.
TEST(TlsCertificateInfo, FormatsDateAsUtc) {
  const auto id = pki().issue(cert_spec{.dns_names = {"example.com"}, .valid_until = 24h * 30});
  const auto s = summarize(id.cert.get());
  ASSERT_TRUE(s);
  const std::time_t t = system_clock::to_time_t(s->not_after);
  std::tm tm{};
  ASSERT_NE(::gmtime_r(&t, &tm), nullptr);
  char date[64];
  ASSERT_GT(std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm), 0u);
  EXPECT_EQ(describe(*s, s->not_after - 24h * 29 - 1h),
            "subject CN=example.com, serial " + s->serial + ", expires " + date + " (in 29 days)");
}

TEST(TlsCertificateInfo, SummarizesTheContextLeaf) {
  const auto inter = pki().issue(cert_spec{.is_ca = true});
  const auto leaf = pki().issue(cert_spec{.dns_names = {"example.com"}}, &inter);
  const auto ctx = kmr::tls::make_server_context(
      {.cert_file = pki().write_certs("ctx.crt", {leaf.cert.get(), inter.cert.get()}),
       .key_file = pki().write_key("ctx.key", leaf.key.get())});
  ASSERT_TRUE(ctx) << ctx.error().message;
  const auto s = kmr::tls::summarize_context(ctx->get());
  const auto direct = summarize(leaf.cert.get());
  ASSERT_TRUE(s);
  ASSERT_TRUE(direct);
  EXPECT_EQ(s->subject, "CN=example.com");
  EXPECT_EQ(s->serial, direct->serial);
  EXPECT_EQ(s->not_after, direct->not_after);
}

}  // namespace

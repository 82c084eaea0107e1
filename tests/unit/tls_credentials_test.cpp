// SPDX-License-Identifier: MIT
#include "tls/credentials.hpp"  // first: the header must compile on its own

#include "support/test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <fcntl.h>
#include <memory>
#include <ostream>
#include <string>
#include <unistd.h>

namespace {

using kmr::test::cert_spec;
using kmr::test::key_format;
using kmr::test::key_type;
using kmr::test::test_pki;
using kmr::tls::load_certificate_chain;
using kmr::tls::load_private_key;
using kmr::tls::ssl_ctx_ptr;

// One CA and directory for the whole file: RSA key generation is slow under ASan.
test_pki& pki() {
  static test_pki instance;
  return instance;
}

ssl_ctx_ptr new_server_ctx() { return ssl_ctx_ptr(SSL_CTX_new(TLS_server_method())); }

// Points stdin at /dev/null while alive: a key loader that prompted would see EOF at
// once instead of waiting on the test's terminal.
class stdin_from_dev_null {
 public:
  stdin_from_dev_null() : saved_(::dup(0)) {
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null_fd, 0);
    ::close(null_fd);
  }
  ~stdin_from_dev_null() {
    ::dup2(saved_, 0);
    ::close(saved_);
  }
  stdin_from_dev_null(const stdin_from_dev_null&) = delete;
  stdin_from_dev_null& operator=(const stdin_from_dev_null&) = delete;

 private:
  int saved_;
};

struct key_case {
  const char* name;
  key_type type;
  key_format format;
};

// Names the case in gtest's output instead of dumping its bytes.
void PrintTo(const key_case& c, std::ostream* os) { *os << c.name; }

class TlsKeyFormat : public ::testing::TestWithParam<key_case> {};

TEST_P(TlsKeyFormat, LoadsAndMatchesItsCertificate) {
  const key_case& c = GetParam();
  cert_spec spec;
  spec.dns_names = {"kmr.test"};
  spec.type = c.type;
  const auto leaf = pki().issue(spec);
  const std::string name = std::string("fmt-") + c.name;
  const std::string cert = pki().write_certs(name + ".crt", {leaf.cert.get()});
  const std::string key = pki().write_key(name + ".key", leaf.key.get(), c.format);

  const auto loaded = load_private_key(key);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(EVP_PKEY_eq(loaded->get(), leaf.key.get()), 1);
  const ssl_ctx_ptr ctx = new_server_ctx();
  const auto error = kmr::tls::use_credential_files(ctx.get(), cert, key);
  EXPECT_FALSE(error) << error->message;
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Tls, TlsKeyFormat,
    ::testing::Values(key_case{"Pkcs8Rsa", key_type::rsa_2048, key_format::pkcs8_pem},
                      key_case{"Pkcs1Rsa", key_type::rsa_2048, key_format::traditional_pem},
                      key_case{"Sec1Ec", key_type::ec_p256, key_format::traditional_pem},
                      key_case{"Pkcs8Ec", key_type::ec_p256, key_format::pkcs8_pem},
                      key_case{"Pkcs8Ed25519", key_type::ed25519, key_format::pkcs8_pem},
                      key_case{"DerPkcs8Ec", key_type::ec_p256, key_format::pkcs8_der},
                      key_case{"DerPkcs8Ed25519", key_type::ed25519, key_format::pkcs8_der},
                      key_case{"DerPkcs1Rsa", key_type::rsa_2048, key_format::traditional_der},
                      key_case{"DerSec1Ec", key_type::ec_p256, key_format::traditional_der}),
    [](const ::testing::TestParamInfo<key_case>& p) { return std::string(p.param.name); });

TEST(TlsCredentials, LoadsDerCertificate) {
  const auto leaf = pki().issue(cert_spec{.dns_names = {"der.test"}});
  const std::string cert = pki().write_certs("der.crt", {leaf.cert.get()}, true);
  const auto chain = load_certificate_chain(cert);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(X509_cmp(chain->leaf.get(), leaf.cert.get()), 0);
  EXPECT_TRUE(chain->chain.empty());
}

TEST(TlsCredentials, LoadsChainLeafFirst) {
  cert_spec inter_spec;
  inter_spec.is_ca = true;
  const auto inter = pki().issue(inter_spec);
  const auto leaf = pki().issue(cert_spec{.dns_names = {"chain.test"}}, &inter);
  const std::string cert = pki().write_certs("chain.crt", {leaf.cert.get(), inter.cert.get()});
  const std::string key = pki().write_key("chain.key", leaf.key.get());

  const auto chain = load_certificate_chain(cert);
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(X509_cmp(chain->leaf.get(), leaf.cert.get()), 0);
  ASSERT_EQ(chain->chain.size(), 1u);
  EXPECT_EQ(X509_cmp(chain->chain[0].get(), inter.cert.get()), 0);

  const ssl_ctx_ptr ctx = new_server_ctx();
  ASSERT_FALSE(kmr::tls::use_credential_files(ctx.get(), cert, key));
  STACK_OF(X509)* extra = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &extra), 1);
  EXPECT_EQ(sk_X509_num(extra), 1);
}

TEST(TlsCredentials, SkipsOtherPemBlocks) {
  // One file holding the key and then the certificate serves as both, as in the original.
  const auto leaf = pki().issue(cert_spec{.dns_names = {"both.test"}});
  const std::string key_pem =
      pki().write_key("tmp.key", leaf.key.get(), key_format::traditional_pem);
  const std::string cert_pem = pki().write_certs("tmp.crt", {leaf.cert.get()});
  std::string both;
  for (const auto& path : {key_pem, cert_pem}) {
    FILE* f = std::fopen(path.c_str(), "rb");
    char buf[8192];
    both.append(buf, std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
  }
  const std::string path = pki().write_file("both.pem", both);
  const ssl_ctx_ptr ctx = new_server_ctx();
  const auto error = kmr::tls::use_credential_files(ctx.get(), path, path);
  EXPECT_FALSE(error) << error->message;
}

TEST(TlsCredentials, RefusesMissingCertFile) {
  const std::string path = pki().dir() + "/absent.crt";
  const auto chain = load_certificate_chain(path);
  ASSERT_FALSE(chain);
  EXPECT_EQ(chain.error().key, "cert");
  EXPECT_EQ(chain.error().message, "cannot read " + path + ": No such file or directory");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsCredentials, RefusesMissingKeyFile) {
  const std::string path = pki().dir() + "/absent.key";
  const auto key = load_private_key(path);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().key, "key");
  EXPECT_EQ(key.error().message, "cannot read " + path + ": No such file or directory");
}

TEST(TlsCredentials, RefusesDirectory) {
  const auto chain = load_certificate_chain(pki().dir());
  ASSERT_FALSE(chain);
  EXPECT_EQ(chain.error().message, "cannot read " + pki().dir() + ": Is a directory");
}

TEST(TlsCredentials, RefusesEncryptedKeysWithoutPrompting) {
  const stdin_from_dev_null no_terminal_input;
  const auto leaf = pki().issue(cert_spec{.dns_names = {"enc.test"}});
  for (const key_format format :
       {key_format::encrypted_pem, key_format::encrypted_legacy_pem, key_format::encrypted_der}) {
    const std::string path = pki().write_key(
        "enc" + std::to_string(static_cast<int>(format)) + ".key", leaf.key.get(), format);
    const auto key = load_private_key(path);
    ASSERT_FALSE(key) << path;
    EXPECT_EQ(key.error().key, "key");
    EXPECT_EQ(key.error().message, path + " is encrypted; kaminaris needs an unencrypted key");
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(TlsCredentials, RefusesKeyOfAnotherCertificate) {
  const auto leaf = pki().issue(cert_spec{.dns_names = {"a.test"}});
  const auto other_ec = kmr::test::make_key(key_type::ec_p256);
  const auto other_ed = kmr::test::make_key(key_type::ed25519);
  const std::string cert = pki().write_certs("mismatch.crt", {leaf.cert.get()});
  for (EVP_PKEY* wrong : {other_ec.get(), other_ed.get()}) {  // same algorithm, and another one
    const std::string key = pki().write_key("mismatch.key", wrong);
    const ssl_ctx_ptr ctx = new_server_ctx();
    const auto error = kmr::tls::use_credential_files(ctx.get(), cert, key);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->key, "key");
    EXPECT_EQ(error->message, key + " does not match the certificate in " + cert);
    EXPECT_EQ(ERR_peek_error(), 0u);
  }
}

TEST(TlsCredentials, RefusesGarbageAndEmptyFiles) {
  const std::string garbage =
      pki().write_file("garbage.bin", "this is not a certificate\n\x01\x02");
  const std::string empty = pki().write_file("empty.bin", "");
  const auto bad_cert = load_certificate_chain(garbage);
  ASSERT_FALSE(bad_cert);
  EXPECT_EQ(bad_cert.error().message, garbage + " holds no certificate (neither PEM nor DER)");
  const auto bad_key = load_private_key(garbage);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().message,
            garbage + " holds no private key (PEM PKCS#8, PKCS#1 or SEC1, or DER)");
  const auto empty_cert = load_certificate_chain(empty);
  ASSERT_FALSE(empty_cert);
  EXPECT_EQ(empty_cert.error().message,
            empty + " is empty; it should hold a PEM certificate chain");
  const auto empty_key = load_private_key(empty);
  ASSERT_FALSE(empty_key);
  EXPECT_EQ(empty_key.error().message, empty + " is empty; it should hold a private key");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsCredentials, RefusesDamagedPemCertificate) {
  const std::string path = pki().write_file(
      "damaged.crt", "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n");
  const auto chain = load_certificate_chain(path);
  ASSERT_FALSE(chain);
  EXPECT_EQ(chain.error().key, "cert");
  EXPECT_EQ(chain.error().message.rfind(path + ": bad PEM certificate: ", 0), 0u)
      << chain.error().message;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsCredentials, RefusesPublicKeyAsPrivateKey) {
  const auto key = kmr::test::make_key(key_type::ec_p256);
  const kmr::tls::bio_ptr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), key.get()), 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const std::string path =
      pki().write_file("public.pem", std::string(data, static_cast<size_t>(n)));
  const auto loaded = load_private_key(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().key, "key");

  unsigned char* der = nullptr;
  const int der_size = i2d_PUBKEY(key.get(), &der);
  ASSERT_GT(der_size, 0);
  const std::string der_path = pki().write_file(
      "public.der", std::string(reinterpret_cast<char*>(der), static_cast<size_t>(der_size)));
  OPENSSL_free(der);
  EXPECT_FALSE(load_private_key(der_path));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace

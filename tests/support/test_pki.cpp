// SPDX-License-Identifier: MIT
// Included by relative path so that it also compiles inside kmr_unit_tests, which does not
// have tests/ on its include path (see tests/unit/tls_test_pki_test.cpp).
#include "test_pki.hpp"

#include "tls/openssl_error.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace kmr::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("test_pki: " + what + ": " + tls::take_openssl_errors());
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// Ed25519 signs the message itself: X509_sign wants no digest for it.
const EVP_MD* digest_for(EVP_PKEY* key) {
  return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  const tls::x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
  check(ext && X509_add_ext(cert, ext.get(), -1) == 1, "extension");
}

// Version, random serial, validity window, subject CN and public key.
tls::x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, const cert_spec& spec) {
  tls::x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  const tls::bignum_ptr serial(BN_new());
  check(serial && BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()),
                            static_cast<long>(spec.valid_from.count())) &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                            static_cast<long>(spec.valid_until.count())) &&
            X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                       0) == 1 &&
            X509_set_pubkey(cert.get(), key) == 1,
        "certificate fields");
  return cert;
}

std::string san_text(const cert_spec& spec) {
  std::string text;
  for (const auto& d : spec.dns_names) text += (text.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : spec.ips) text += (text.empty() ? "" : ",") + std::string("IP:") + ip;
  return text;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Serialises `key` in `format` into a memory BIO.
bool encode_key(BIO* out, EVP_PKEY* key, key_format format) {
  auto* pass = const_cast<char*>(test_key_password);  // with a null callback, u is the password
  const EVP_CIPHER* aes = EVP_aes_256_cbc();
  switch (format) {
    case key_format::pkcs8_pem:
      return PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    case key_format::traditional_pem:
      return PEM_write_bio_PrivateKey_traditional(out, key, nullptr, nullptr, 0, nullptr,
                                                  nullptr) == 1;
    case key_format::pkcs8_der:
      return i2d_PKCS8PrivateKey_bio(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    case key_format::traditional_der:
      return i2d_PrivateKey_bio(out, key) == 1;
    case key_format::encrypted_pem:
      return PEM_write_bio_PKCS8PrivateKey(out, key, aes, nullptr, 0, nullptr, pass) == 1;
    case key_format::encrypted_legacy_pem:
      return PEM_write_bio_PrivateKey_traditional(out, key, aes, nullptr, 0, nullptr, pass) == 1;
    case key_format::encrypted_der:
      return i2d_PKCS8PrivateKey_bio(out, key, aes, nullptr, 0, nullptr, pass) == 1;
  }
  return false;
}

}  // namespace

tls::evp_pkey_ptr make_key(key_type type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case key_type::ec_p256:
      key = EVP_EC_gen("P-256");
      break;
    case key_type::rsa_2048:
      key = EVP_RSA_gen(2048);
      break;
    case key_type::ed25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) fail("key generation");
  return tls::evp_pkey_ptr(key);
}

test_pki::test_pki(key_type ca_type) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kmr-pki-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test_pki: mkdtemp failed");
  dir_ = pattern;

  ca_.key = make_key(ca_type);
  cert_spec spec;
  spec.valid_until = std::chrono::hours(24 * 365);
  ca_.cert = new_cert(ca_.key.get(), "kmr test CA", spec);
  X509* cert = ca_.cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1, "issuer");
  add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert, cert, NID_subject_key_identifier, "hash");
  check(X509_sign(cert, ca_.key.get(), digest_for(ca_.key.get())) > 0, "CA signature");
  ca_file_ = write_certs("ca.crt", {cert});
}

test_pki::~test_pki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

identity test_pki::issue(const cert_spec& spec, const identity* issuer) const {
  const identity& by = issuer != nullptr ? *issuer : ca_;
  identity out;
  out.key = make_key(spec.type);
  const std::string cn = !spec.dns_names.empty() ? spec.dns_names.front()
                         : !spec.ips.empty()     ? spec.ips.front()
                         : spec.is_ca            ? "kmr test intermediate CA"
                                                 : "kmr test leaf";
  out.cert = new_cert(out.key.get(), cn, spec);
  X509* cert = out.cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(by.cert.get())) == 1, "issuer");
  if (spec.is_ca) {
    add_ext(cert, by.cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, by.cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, by.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, by.cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(cert, by.cert.get(), NID_ext_key_usage, "serverAuth");
  }
  if (const std::string san = san_text(spec); !san.empty()) {
    add_ext(cert, by.cert.get(), NID_subject_alt_name, san);
  }
  add_ext(cert, by.cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert, by.cert.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert, by.key.get(), digest_for(by.key.get())) > 0, "signature");
  return out;
}

std::string test_pki::write_certs(const std::string& name, std::initializer_list<const X509*> certs,
                                  bool der) const {
  const tls::bio_ptr bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr, "BIO_new");
  for (const X509* c : certs) {
    auto* cert = const_cast<X509*>(c);  // the writers take non-const pointers but do not modify
    if (der) {
      check(i2d_X509_bio(bio.get(), cert) == 1, "DER certificate");
      break;
    }
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM certificate");
  }
  return write_file(name, bio_contents(bio.get()));
}

std::string test_pki::write_key(const std::string& name, EVP_PKEY* key, key_format format) const {
  const tls::bio_ptr bio(BIO_new(BIO_s_mem()));
  check(bio && encode_key(bio.get(), key, format), "key encoding");
  return write_file(name, bio_contents(bio.get()));
}

std::string test_pki::write_file(const std::string& name, std::string_view bytes) const {
  const std::string path = dir_ + "/" + name;
  const tls::bio_ptr file(BIO_new_file(path.c_str(), "wb"));
  check(file != nullptr, "cannot create file");
  check(bytes.empty() || BIO_write(file.get(), bytes.data(), static_cast<int>(bytes.size())) ==
                             static_cast<int>(bytes.size()),
        "write");
  return path;
}

std::string test_pki::ocsp_good(const X509* leaf, const identity* issuer) const {
  const identity& by = issuer != nullptr ? *issuer : ca_;
  using certid_ptr = std::unique_ptr<OCSP_CERTID, tls::openssl_free<OCSP_CERTID_free>>;
  const certid_ptr id(OCSP_cert_to_id(EVP_sha1(), leaf, by.cert.get()));
  const tls::ocsp_basicresp_ptr basic(OCSP_BASICRESP_new());
  const tls::asn1_time_ptr this_update(X509_gmtime_adj(nullptr, 0));
  const tls::asn1_time_ptr next_update(X509_gmtime_adj(nullptr, 7L * 24 * 3600));
  check(id && basic && this_update && next_update, "OCSP structures");
  check(OCSP_basic_add1_status(basic.get(), id.get(), V_OCSP_CERTSTATUS_GOOD, 0, nullptr,
                               this_update.get(), next_update.get()) != nullptr,
        "OCSP status");
  // Signed by the issuing CA itself, whose certificate is included (as `openssl ocsp`).
  check(OCSP_basic_sign(basic.get(), by.cert.get(), by.key.get(), EVP_sha256(), nullptr, 0) == 1,
        "OCSP signature");
  const tls::ocsp_response_ptr response(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  check(response != nullptr, "OCSP response");
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_RESPONSE(response.get(), &der);
  check(n > 0, "OCSP encoding");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

test_pki::server_files test_pki::write_server(const std::string& name,
                                              const cert_spec& spec) const {
  const identity leaf = issue(spec);
  return {write_certs(name + ".crt", {leaf.cert.get()}), write_key(name + ".key", leaf.key.get())};
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// Certificates for tests, made with OpenSSL at run time (no private key is committed):
// a CA, leaves and intermediates for chosen names and validity windows, keys in every
// format kaminaris reads, and DER OCSP responses like those of `openssl ocsp`.
#pragma once

#include "tls/openssl_ptr.hpp"

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::test {

enum class key_type { ec_p256, rsa_2048, ed25519 };

enum class key_format {
  pkcs8_pem,             // "PRIVATE KEY"
  traditional_pem,       // "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1); not Ed25519
  pkcs8_der,             // DER PrivateKeyInfo
  traditional_der,       // DER PKCS#1 or SEC1; not Ed25519
  encrypted_pem,         // "ENCRYPTED PRIVATE KEY" (PKCS#8, AES-256-CBC)
  encrypted_legacy_pem,  // PKCS#1/SEC1 with "Proc-Type: 4,ENCRYPTED"; not Ed25519
  encrypted_der,         // DER EncryptedPrivateKeyInfo
};

// The password of every encrypted key written by test_pki.
inline constexpr const char* test_key_password = "kmr-test-password";

// A key and its certificate, in memory.
struct identity {
  tls::evp_pkey_ptr key;
  tls::x509_ptr cert;
};

// What to put in an issued certificate. Times are relative to now.
struct cert_spec {
  std::vector<std::string> dns_names{};  // dNSName SANs; the first is also the CN
  std::vector<std::string> ips{};        // iPAddress SANs ("127.0.0.1", "::1")
  key_type type = key_type::ec_p256;
  std::chrono::seconds valid_from = std::chrono::hours(-1);
  std::chrono::seconds valid_until = std::chrono::hours(24 * 30);
  bool is_ca = false;  // an intermediate CA (CA:TRUE, keyCertSign) instead of a TLS server
};

// A fresh key of the given type. Throws std::runtime_error on OpenSSL failure.
tls::evp_pkey_ptr make_key(key_type type);

// A self-signed root CA (CN "kmr test CA") and a temporary directory, removed with the
// object, for the files it writes. Every member throws std::runtime_error on failure.
class test_pki {
 public:
  explicit test_pki(key_type ca_type = key_type::ec_p256);
  ~test_pki();
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  const std::string& dir() const { return dir_; }
  const identity& ca() const { return ca_; }
  const std::string& ca_file() const { return ca_file_; }  // the CA certificate as PEM

  // A certificate for `spec`, signed by `issuer` (the root CA when null).
  identity issue(const cert_spec& spec, const identity* issuer = nullptr) const;

  // Writes dir()/name and returns its path. Certificates are written in order (leaf
  // first for a chain); `der` writes the first one alone as DER.
  std::string write_certs(const std::string& name, std::initializer_list<const X509*> certs,
                          bool der = false) const;
  std::string write_key(const std::string& name, EVP_PKEY* key,
                        key_format format = key_format::pkcs8_pem) const;
  std::string write_file(const std::string& name, std::string_view bytes) const;

  // A DER OCSPResponse: successful, one "good" SingleResponse for `leaf` (SHA-1 CertID),
  // valid from now for 7 days, signed by `issuer` (the root CA when null) with SHA-256.
  std::string ocsp_good(const X509* leaf, const identity* issuer = nullptr) const;

  // The common case: a leaf for `spec` signed by the root CA, written as
  // dir()/<name>.crt (PEM) and dir()/<name>.key (PKCS#8 PEM).
  struct server_files {
    std::string cert_file;
    std::string key_file;
  };
  server_files write_server(const std::string& name, const cert_spec& spec) const;

 private:
  std::string dir_;
  identity ca_;
  std::string ca_file_;
};

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "tls/self_signed.hpp"

#include "tls/ip_literal.hpp"
#include "tls/openssl_error.hpp"

#include <openssl/err.h>

#include <algorithm>

namespace kmr::tls {
namespace {

constexpr long one_hour = 60L * 60;
constexpr long one_year = 365L * 24 * one_hour;
constexpr std::size_t max_common_name = 64;  // ub-common-name, RFC 5280 appendix A.1

using general_name_ptr = std::unique_ptr<GENERAL_NAME, openssl_free<GENERAL_NAME_free>>;

unexpected<context_error> failure(const std::string& name, const char* step) {
  return unexpected(context_error{"servername", "cannot make a self-signed certificate for " +
                                                    name + ": " + step + ": " +
                                                    take_openssl_reasons()});
}

// The one subjectAltName entry. Built as a structure, not as "DNS:<name>" config text,
// so that a name holding a comma cannot smuggle in extra entries.
general_name_ptr make_general_name(const std::string& name) {
  general_name_ptr gn(GENERAL_NAME_new());
  if (!gn) return nullptr;
  if (is_ip_literal(name)) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
    if (ip == nullptr) return nullptr;
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, ip);
    return gn;
  }
  ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
  if (dns == nullptr) return nullptr;
  if (ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
    ASN1_IA5STRING_free(dns);
    return nullptr;
  }
  GENERAL_NAME_set0_value(gn.get(), GEN_DNS, dns);
  return gn;
}

bool add_subject_alt_name(X509* cert, const std::string& name) {
  const general_names_ptr names(sk_GENERAL_NAME_new_null());
  general_name_ptr gn = make_general_name(name);
  if (!names || !gn || sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) return false;
  gn.release();  // now owned by `names`
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

// Fixed extensions, from constant text (no user input reaches the config parser).
bool add_fixed_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  const x509_extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool set_random_serial(X509* cert) {
  // 159 random bits: positive and within RFC 5280's 20 octets whatever the top bit.
  const bignum_ptr bn(BN_new());
  return bn && BN_rand(bn.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
         BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

// The original's rcgen certificate has a fixed CN; the seed README (and issue 4) promise
// the name as CN, which also helps clients that still look at the CN.
bool set_subject(X509* cert, const std::string& name) {
  X509_NAME* subject = X509_get_subject_name(cert);
  if (name.size() <= max_common_name &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                                 0) != 1) {
    return false;
  }
  return X509_set_issuer_name(cert, subject) == 1;
}

}  // namespace

expected<self_signed_credential, context_error> make_self_signed(const std::string& name) {
  // A dNSName is an IA5String: only ASCII fits (an IDN must be given in punycode).
  const bool ascii =
      std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (name.empty() || !ascii) {
    return unexpected(context_error{"servername", "'" + name +
                                                      "' is not a host name or IP address "
                                                      "(use the ASCII, punycode form)"});
  }
  self_signed_credential out{evp_pkey_ptr(EVP_EC_gen("P-256")), x509_ptr(X509_new())};
  X509* cert = out.cert.get();
  if (!out.key || !cert) return failure(name, "key generation");
  // The original's validity is 1975-4096; a year keeps the certificate honest, and the
  // hour before now absorbs a client clock that runs late.
  if (X509_set_version(cert, X509_VERSION_3) != 1 || !set_random_serial(cert) ||
      X509_gmtime_adj(X509_getm_notBefore(cert), -one_hour) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), one_year) == nullptr || !set_subject(cert, name) ||
      X509_set_pubkey(cert, out.key.get()) != 1) {
    return failure(name, "fields");
  }
  if (!add_subject_alt_name(cert, name) ||
      !add_fixed_extension(cert, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_fixed_extension(cert, NID_key_usage, "critical,digitalSignature") ||
      !add_fixed_extension(cert, NID_ext_key_usage, "serverAuth")) {
    return failure(name, "extensions");
  }
  if (X509_sign(cert, out.key.get(), EVP_sha256()) <= 0) return failure(name, "signature");
  ERR_clear_error();
  return out;
}

}  // namespace kmr::tls

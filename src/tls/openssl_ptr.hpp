// SPDX-License-Identifier: MIT
// unique_ptr owners for the OpenSSL objects the TLS set-up code creates, so that every
// early return frees what was made before it (STYLE: RAII for every OpenSSL object).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace kmr::tls {

// Calls the OpenSSL free function given as a template argument.
template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using bio_ptr = std::unique_ptr<BIO, openssl_free<BIO_free_all>>;
using x509_ptr = std::unique_ptr<X509, openssl_free<X509_free>>;
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<EVP_PKEY_free>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free<BN_free>>;
using asn1_time_ptr = std::unique_ptr<ASN1_TIME, openssl_free<ASN1_TIME_free>>;
using x509_extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_free<X509_EXTENSION_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_free<GENERAL_NAMES_free>>;
using ocsp_response_ptr = std::unique_ptr<OCSP_RESPONSE, openssl_free<OCSP_RESPONSE_free>>;
using ocsp_basicresp_ptr = std::unique_ptr<OCSP_BASICRESP, openssl_free<OCSP_BASICRESP_free>>;

}  // namespace kmr::tls

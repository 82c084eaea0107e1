// SPDX-License-Identifier: MIT
#include "tls/credentials.hpp"

#include "tls/file_bytes.hpp"
#include "tls/openssl_error.hpp"

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

namespace kmr::tls {
namespace {

using decoder_ctx_ptr = std::unique_ptr<OSSL_DECODER_CTX, openssl_free<OSSL_DECODER_CTX_free>>;

unexpected<context_error> cert_error(std::string message) {
  ERR_clear_error();
  return unexpected(context_error{"cert", std::move(message)});
}

unexpected<context_error> key_error(std::string message) {
  ERR_clear_error();
  return unexpected(context_error{"key", std::move(message)});
}

// PEM password callback: records that a password was wanted and refuses to give one, so
// OpenSSL never falls back to prompting on the terminal (a daemon has no one to answer).
int refuse_pem_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* asked) {
  if (asked != nullptr) *static_cast<bool*>(asked) = true;
  return 0;
}

// The same for the OSSL_DECODER path (DER PKCS#8 EncryptedPrivateKeyInfo).
int refuse_passphrase(char* /*pass*/, size_t /*size*/, size_t* /*len*/,
                      const OSSL_PARAM* /*params*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return 0;
}

bio_ptr memory_bio(const std::string& bytes) {
  return bio_ptr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// True when the queue ends with "no start line": the PEM reader simply ran out of blocks.
bool pem_ran_out() {
  const unsigned long e = ERR_peek_last_error();
  return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

// The whole buffer as one DER certificate; null unless every byte belongs to it.
x509_ptr decode_der_certificate(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  return p == end ? std::move(cert) : nullptr;
}

// The whole buffer as a DER private key: PKCS#8 or the type-specific form (PKCS#1, SEC1).
evp_pkey_ptr decode_der_key(const std::string& bytes, bool& asked) {
  EVP_PKEY* raw = nullptr;
  // Private keys only: a DER public key must not pass for a key pair.
  const decoder_ctx_ptr dctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "DER", nullptr, nullptr, OSSL_KEYMGMT_SELECT_PRIVATE_KEY, nullptr, nullptr));
  if (!dctx || OSSL_DECODER_CTX_set_passphrase_cb(dctx.get(), refuse_passphrase, &asked) != 1) {
    return nullptr;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t left = bytes.size();
  if (OSSL_DECODER_from_data(dctx.get(), &p, &left) != 1) return nullptr;
  return evp_pkey_ptr(raw);
}

}  // namespace

expected<certificate_chain, context_error> load_certificate_chain(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return cert_error(bytes.error());
  if (bytes->empty()) return cert_error(path + " is empty; it should hold a PEM certificate chain");
  const bio_ptr bio = memory_bio(*bytes);
  if (!bio) return cert_error(path + ": " + take_openssl_reasons());

  // PEM_read_bio_X509 skips blocks of other types (keys, EC PARAMETERS), so a file that
  // holds the key and the chain together works as it does with the original.
  certificate_chain out;
  while (x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, refuse_pem_password, nullptr)}) {
    if (!out.leaf) {
      out.leaf = std::move(cert);
    } else {
      out.chain.push_back(std::move(cert));
    }
  }
  if (!pem_ran_out()) {  // a CERTIFICATE block that does not decode
    return cert_error(path + ": bad PEM certificate: " + take_openssl_reasons());
  }
  ERR_clear_error();
  if (out.leaf) return out;

  // No PEM certificate at all: the original then takes the whole file as DER.
  out.leaf = decode_der_certificate(*bytes);
  if (!out.leaf) return cert_error(path + " holds no certificate (neither PEM nor DER)");
  ERR_clear_error();
  return out;
}

expected<evp_pkey_ptr, context_error> load_private_key(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return key_error(bytes.error());
  if (bytes->empty()) return key_error(path + " is empty; it should hold a private key");
  const bio_ptr bio = memory_bio(*bytes);
  if (!bio) return key_error(path + ": " + take_openssl_reasons());

  // One PEM reader covers PKCS#8, PKCS#1 and SEC1 (OpenSSL 3's decoders try each) and
  // skips certificate blocks before the key. The DER fallback goes further than the
  // original, which reads DER as PKCS#8 only: PKCS#1 and SEC1 DER are accepted too.
  bool asked = false;  // set when OpenSSL wanted a password: the key is encrypted
  evp_pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_pem_password, &asked));
  if (!key && !asked) {
    ERR_clear_error();
    key = decode_der_key(*bytes, asked);
  }
  if (asked) return key_error(path + " is encrypted; kaminaris needs an unencrypted key");
  if (!key) {
    return key_error(path + " holds no private key (PEM PKCS#8, PKCS#1 or SEC1, or DER)");
  }
  ERR_clear_error();
  return key;
}

std::optional<context_error> install_credentials(SSL_CTX* ctx, const certificate_chain& chain,
                                                 EVP_PKEY* key, const std::string& cert_name,
                                                 const std::string& key_name) {
  // Checked first so that a mismatch gets its own message, not OpenSSL's generic one.
  if (X509_check_private_key(chain.leaf.get(), key) != 1) {
    ERR_clear_error();
    return context_error{"key", key_name + " does not match the certificate in " + cert_name};
  }
  // Each call takes its own reference; the caller keeps ownership of what it passed.
  if (SSL_CTX_use_certificate(ctx, chain.leaf.get()) != 1) {
    return context_error{"cert", cert_name + ": " + take_openssl_reasons()};
  }
  for (const x509_ptr& extra : chain.chain) {
    if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) {
      return context_error{"cert", cert_name + ": " + take_openssl_reasons()};
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    return context_error{"key", key_name + ": " + take_openssl_reasons()};
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return context_error{"key", key_name + " does not match the certificate in " + cert_name};
  }
  return std::nullopt;
}

std::optional<context_error> use_credential_files(SSL_CTX* ctx, const std::string& cert_path,
                                                  const std::string& key_path) {
  auto chain = load_certificate_chain(cert_path);
  if (!chain) return std::move(chain).error();
  auto key = load_private_key(key_path);
  if (!key) return std::move(key).error();
  return install_credentials(ctx, *chain, key->get(), cert_path, key_path);
}

}  // namespace kmr::tls

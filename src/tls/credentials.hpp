// SPDX-License-Identifier: MIT
// The server's certificate chain and private key, read from files in the formats the
// original accepts (kaminari-wire §6.3.1), with one-line errors that name the file.
#pragma once

#include "tls/context.hpp"
#include "tls/openssl_ptr.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kmr::tls {

// A leaf certificate and the certificates sent after it, in file order.
struct certificate_chain {
  x509_ptr leaf;
  std::vector<x509_ptr> chain;
};

// Every PEM CERTIFICATE block of the file (other blocks are skipped); a file with none is
// read whole as one DER certificate. Errors carry the key "cert".
expected<certificate_chain, context_error> load_certificate_chain(const std::string& path);

// The first PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC), else the whole file as DER
// (PKCS#8 or the algorithm's own form). An encrypted key is refused without ever asking
// for a password (no terminal prompt). Errors carry the key "key".
expected<evp_pkey_ptr, context_error> load_private_key(const std::string& path);

// Installs the chain and key in `ctx` after checking that the key belongs to the leaf.
// The names are the files (or a description) used in messages. nullopt on success.
std::optional<context_error> install_credentials(SSL_CTX* ctx, const certificate_chain& chain,
                                                 EVP_PKEY* key, const std::string& cert_name,
                                                 const std::string& key_name);

// load_certificate_chain + load_private_key + install_credentials. nullopt on success.
std::optional<context_error> use_credential_files(SSL_CTX* ctx, const std::string& cert_path,
                                                  const std::string& key_path);

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// A server's cert= and key= files at fixed paths, replaced the ways an operator renews a
// certificate (rewritten in place, or written beside and renamed over), and the text
// the product logs about a certificate, for reload tests.
#pragma once

#include "support/test_pki.hpp"

#include <string>

namespace kmr::test {

// A leaf issued by a test CA, with its serial as the product prints it.
struct leaf {
  identity id;
  std::string serial;  // uppercase hex (serial_hex)
};
leaf issue_leaf(const test_pki& pki, const cert_spec& spec);

class cert_files {
 public:
  // pki.dir()/<name>.crt and .key, not written yet.
  cert_files(const test_pki& pki, const std::string& name);

  const std::string& cert() const noexcept { return cert_; }
  const std::string& key() const noexcept { return key_; }
  std::string server_options() const { return "tls;cert=" + cert_ + ";key=" + key_; }

  // Truncates and rewrites both files in place (cert, then key).
  void write(const identity& id) const;
  // Writes each to a temporary file in the same directory, then renames it over the old
  // one (cert, then key): a reader sees the old file or the new one, never half of one.
  void rename_into_place(const identity& id) const;

 private:
  const test_pki& pki_;
  std::string name_;
  std::string cert_, key_;
};

// "certificate: subject CN=example.com, serial 4A1F03, expires 2027-01-02 03:04:05 UTC":
// how the product names a certificate it loaded (the CN is the only subject entry of
// the test's leaves).
std::string certificate_summary(const X509* cert);

// A file's whole contents; throws std::runtime_error if it cannot be read.
std::string file_contents(const std::string& path);

// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
void replace_file(const std::string& path, const std::string& bytes);

}  // namespace kmr::test

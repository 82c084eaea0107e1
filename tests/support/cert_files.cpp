// SPDX-License-Identifier: MIT
#include "support/cert_files.hpp"

#include "support/tls_probe.hpp"

#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kmr::test {

leaf issue_leaf(const test_pki& pki, const cert_spec& spec) {
  identity id = pki.issue(spec);
  std::string serial = serial_hex(id.cert.get());
  return {std::move(id), std::move(serial)};
}

cert_files::cert_files(const test_pki& pki, const std::string& name)
    : pki_(pki), name_(name), cert_(pki.dir() + "/" + name + ".crt"), key_(pki.dir() + "/" + name + ".key") {}

void cert_files::write(const identity& id) const {
  pki_.write_certs(name_ + ".crt", {id.cert.get()});
  pki_.write_key(name_ + ".key", id.key.get());
}

void cert_files::rename_into_place(const identity& id) const {
  const std::string cert_tmp = pki_.write_certs(name_ + ".crt.new", {id.cert.get()});
  const std::string key_tmp = pki_.write_key(name_ + ".key.new", id.key.get());
  std::filesystem::rename(cert_tmp, cert_);
  std::filesystem::rename(key_tmp, key_);
}

std::string certificate_summary(const X509* cert) {
  std::tm expires{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &expires) != 1) throw std::runtime_error("notAfter unreadable");
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &expires);
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return "certificate: subject CN=" + std::string(cn) + ", serial " + serial_hex(cert) + ", expires " + when + " UTC";
}

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void replace_file(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".new";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace kmr::test

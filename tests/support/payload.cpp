// SPDX-License-Identifier: MIT
#include "support/payload.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace kmr::test {

std::vector<std::uint8_t> make_payload(std::size_t size, std::uint64_t seed) {
  // splitmix64: fast enough for 64 MiB in a few tens of milliseconds, and every seed
  // (0 included) gives a full-period stream.
  std::vector<std::uint8_t> out(size);
  std::uint64_t state = seed ^ 0x6b616d696e617269ULL;
  std::size_t i = 0;
  while (i < size) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    const std::size_t n = std::min<std::size_t>(8, size - i);
    std::memcpy(out.data() + i, &z, n);
    i += n;
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const digest& d) {
  return out << d.bytes << " bytes, sha256 " << d.sha256;
}

struct digest_builder::impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  impl() {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
  }
  ~impl() { EVP_MD_CTX_free(ctx); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
};

digest_builder::digest_builder() : impl_(std::make_unique<impl>()) {}
digest_builder::~digest_builder() = default;
digest_builder::digest_builder(digest_builder&&) noexcept = default;
digest_builder& digest_builder::operator=(digest_builder&&) noexcept = default;

void digest_builder::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size());
  bytes_ += bytes.size();
}

digest digest_builder::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  static constexpr char hex[] = "0123456789abcdef";
  digest d{bytes_, {}};
  for (unsigned i = 0; i < len; ++i) {
    d.sha256 += hex[md[i] >> 4];
    d.sha256 += hex[md[i] & 0xf];
  }
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  bytes_ = 0;
  return d;
}

digest digest_of(std::span<const std::uint8_t> bytes) {
  digest_builder b;
  b.update(bytes);
  return b.finish();
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "ws/key.hpp"

#include "ws/base64.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <array>
#include <cerrno>

namespace kmr::ws {
namespace {

constexpr std::string_view ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3
constexpr std::size_t sha1_size = 20;
constexpr std::size_t client_key_bytes = 16;  // RFC 6455 §4.1 item 7

// Fetched once: EVP_sha1() makes EVP_Digest look the implementation up in the provider
// on every call, which was a third of accept_key's cost (callgrind).
const EVP_MD* sha1() noexcept {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + ws_guid.size());
  input.append(client_key).append(ws_guid);
  std::array<std::byte, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  // EVP_Digest rather than the SHA1() shortcut: it is the interface OpenSSL 3 keeps.
  // With the built-in SHA-1 it cannot fail short of memory exhaustion (or a provider
  // without SHA-1: sha1() is then null); a zero digest then simply never matches the
  // peer's.
  if (EVP_Digest(input.data(), input.size(), reinterpret_cast<unsigned char*>(digest.data()), &len,
                 sha1(), nullptr) != 1 ||
      len != sha1_size) {
    digest.fill(std::byte{0});
  }
  return base64_encode(std::span<const std::byte>(digest.data(), sha1_size));
}

std::string new_client_key() {
  std::array<std::byte, client_key_bytes> raw{};
  if (!fill_random(raw)) return {};
  return base64_encode(raw);
}

bool is_valid_client_key(std::string_view key) noexcept {
  return base64_decoded_size(key) == client_key_bytes;
}

bool fill_random(std::span<std::byte> out) noexcept {
  while (!out.empty()) {
    const ssize_t n = ::getrandom(out.data(), out.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out = out.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace kmr::ws

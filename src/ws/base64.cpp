// SPDX-License-Identifier: MIT
#include "ws/base64.hpp"

#include <array>
#include <cstdint>

namespace kmr::ws {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}

constexpr auto decode_table = make_decode_table();

std::uint8_t sextet(char c) noexcept { return decode_table[static_cast<unsigned char>(c)]; }

// Checks the shape and returns the decoded size; `out`, when given, receives the bytes.
// One routine for both keeps validation and decoding from ever disagreeing.
std::optional<std::size_t> decode_into(std::string_view text, std::byte* out) noexcept {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t written = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t pad =
        last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4 - pad; ++j) {
      const std::uint8_t v = sextet(text[i + j]);
      if (v == invalid) return std::nullopt;  // also rejects '=' in the middle
      group |= std::uint32_t{v} << (18 - 6 * j);
    }
    // RFC 4648 §3.5: the bits under the padding must be zero for a canonical encoding.
    if ((pad == 1 && (group & 0xff) != 0) || (pad == 2 && (group & 0xffff) != 0))
      return std::nullopt;
    const std::size_t n = 3 - pad;
    for (std::size_t j = 0; j < n; ++j) {
      if (out) out[written + j] = static_cast<std::byte>((group >> (16 - 8 * j)) & 0xff);
    }
    written += n;
  }
  return written;
}

}  // namespace

std::string base64_encode(std::span<const std::byte> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return std::to_integer<std::uint32_t>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t g = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(g >> s) & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    const std::uint32_t g = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out.push_back(alphabet[(g >> 18) & 63]);
    out.push_back(alphabet[(g >> 12) & 63]);
    out.push_back(rest == 2 ? alphabet[(g >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::vector<std::byte>> base64_decode(std::string_view text) {
  const auto size = decode_into(text, nullptr);
  if (!size) return std::nullopt;
  std::vector<std::byte> out(*size);
  decode_into(text, out.data());
  return out;
}

std::optional<std::size_t> base64_decoded_size(std::string_view text) noexcept {
  return decode_into(text, nullptr);
}

}  // namespace kmr::ws

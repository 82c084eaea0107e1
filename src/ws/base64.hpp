// SPDX-License-Identifier: MIT
// Standard base64 (RFC 4648 §4, with padding), as used by the WebSocket handshake keys
// (RFC 6455 §4.1, §4.2.2). The decoder is strict: it accepts only canonical encodings.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::ws {

// Encodes with the standard alphabet and '=' padding; the result has 4*ceil(n/3) chars.
std::string base64_encode(std::span<const std::byte> data);

// Decodes canonical base64: length a multiple of 4, padding required, no whitespace, and
// unused trailing bits zero (RFC 4648 §3.5). Anything else yields nullopt.
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

// Size of the decoded data if `text` is canonical base64, without allocating.
std::optional<std::size_t> base64_decoded_size(std::string_view text) noexcept;

}  // namespace kmr::ws

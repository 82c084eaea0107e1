// SPDX-License-Identifier: MIT
// The constants of the v2 binary header (spec §2.2), shared by its parser and builder.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace kmr::proxy::v2 {

// "\r\n\r\n\0\r\nQUIT\n": the NUL makes it unusable as a C string, on purpose.
inline constexpr std::array<std::uint8_t, 12> signature = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                                           0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
inline constexpr std::size_t fixed_size = 16;  // signature, ver_cmd, fam, 16-bit length
inline constexpr std::size_t tlv_head = 3;     // type, 16-bit length

inline constexpr unsigned version = 2;  // the high nibble of byte 13
inline constexpr unsigned command_local = 0x0;
inline constexpr unsigned command_proxy = 0x1;

inline constexpr unsigned family_unspec = 0x0;  // the high nibble of byte 14
inline constexpr unsigned family_inet = 0x1;
inline constexpr unsigned family_inet6 = 0x2;
inline constexpr unsigned family_unix = 0x3;
inline constexpr unsigned proto_unspec = 0x0;  // the low nibble
inline constexpr unsigned proto_stream = 0x1;
inline constexpr unsigned proto_dgram = 0x2;

// Address block sizes: two addresses, then two 16-bit ports (none for UNIX).
inline constexpr std::size_t inet_block = 2 * 4 + 2 * 2;
inline constexpr std::size_t inet6_block = 2 * 16 + 2 * 2;
inline constexpr std::size_t unix_block = 2 * 108;

}  // namespace kmr::proxy::v2

// SPDX-License-Identifier: MIT
// Internals of the PROXY header parser: the v1 and v2 halves, and the v1 field checks,
// which the unit tests also call directly (every prefix of a valid field must pass).
#pragma once

#include "proxy/proxy_header.hpp"

#include <string_view>

namespace kmr::proxy::detail {

// Each check takes `complete`: true when the field is whole (a space or the CRLF
// follows it), false while it is still arriving and only has to be the beginning of a
// valid field. The second form is what lets parse() refuse garbage before the CRLF.

// Dotted IPv4 without leading zeros, each number 0-255 (spec §2.1).
bool ipv4_text_ok(std::string_view text, bool complete) noexcept;
// IPv6 text as inet_pton reads it, including an IPv4 tail ("::ffff:1.2.3.4").
bool ipv6_text_ok(std::string_view text, bool complete) noexcept;
// Decimal 0-65535 without leading zeros (spec §2.1).
bool port_text_ok(std::string_view text, bool complete) noexcept;

// The halves of parse(), after it has looked at the first byte.
parse_result parse_v1(std::string_view data);
parse_result parse_v2(std::span<const std::byte> data);

}  // namespace kmr::proxy::detail

// SPDX-License-Identifier: MIT
// The real client of a WebSocket upgrade that came through a trusted reverse proxy or
// CDN, from the headers such proxies add: X-Forwarded-For, X-Real-IP, or Forwarded
// (RFC 7239). Only to be asked when the TCP peer itself is in the trusted list.
#pragma once

#include "net/cidr.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace kmr::ws {

// Picks the client address, or nullopt when the headers name none we can believe.
// The caller passes each header's value, "" when it is absent, and joins several lines
// of the same name with ", " in the order received (RFC 9110 §5.3) before the call.
//
// Only one header is used: X-Forwarded-For if it has any element, else X-Real-IP if it
// is not blank, else Forwarded. Each proxy appends the address it saw, so the list is
// walked from the right, skipping addresses in `trusted` (our own proxies), and the
// first one that is not trusted is the client. When every element is trusted, the
// left-most is returned. An element that is not an address ends the walk with nullopt
// rather than falling further left, since what lies left of it is whatever the client
// sent: in X-Forwarded-For anything but an IP literal; in Forwarded an element without
// for=, with for="unknown" or an obfuscated "_name", a repeated for=, or bad syntax
// (an unterminated quoted string spoils the whole header).
//
// Elements may be "1.2.3.4", "1.2.3.4:80", "::1", "[::1]" or "[::1]:80" (a port, or
// in Forwarded an obfuscated "_port", is dropped); Forwarded's for= value may be quoted,
// as RFC 7239 §6 requires for IPv6 ("for=\"[2001:db8::1]:4711\""), and is accepted
// unquoted too. Empty list elements are skipped (RFC 9110 §5.6.1). The result is the
// bare address as inet_ntop writes it ("2001:db8::1"): no brackets, no port.
std::optional<std::string> forwarded_client(std::string_view x_forwarded_for,
                                            std::string_view x_real_ip,
                                            std::string_view forwarded,
                                            const net::cidr_list& trusted);

}  // namespace kmr::ws

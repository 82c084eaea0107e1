// SPDX-License-Identifier: MIT
// An address with its port as logs and tests print it: "1.2.3.4:80", "[::1]:80".
#pragma once

#include <sys/socket.h>

#include <string>

namespace kmr::proxy {

// "1.2.3.4:80" for AF_INET, "[2001:db8::1]:80" for AF_INET6, "unspecified" for any
// other family (a local header's zeroed addresses).
std::string address_text(const sockaddr_storage& address);

}  // namespace kmr::proxy

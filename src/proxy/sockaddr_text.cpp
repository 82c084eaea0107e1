// SPDX-License-Identifier: MIT
#include "proxy/sockaddr_text.hpp"

#include "net/ip_literal.hpp"

#include <netinet/in.h>

namespace kmr::proxy {

std::string address_text(const sockaddr_storage& address) {
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return "unspecified";
  const bool v6 = address.ss_family == AF_INET6;
  std::string out = v6 ? "[" : "";
  out += net::ip_text(address);
  out += v6 ? "]:" : ":";
  out += std::to_string(net::port_of(address));
  return out;
}

}  // namespace kmr::proxy

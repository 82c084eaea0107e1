// SPDX-License-Identifier: MIT
#include "net/endpoint_address.hpp"

#include <netinet/in.h>

#include <cstring>

namespace kmr::net {

std::optional<tcp::endpoint> to_endpoint(const sockaddr_storage& address) noexcept {
  std::size_t size = 0;
  if (address.ss_family == AF_INET) size = sizeof(sockaddr_in);
  else if (address.ss_family == AF_INET6) size = sizeof(sockaddr_in6);
  else return std::nullopt;
  tcp::endpoint ep;
  std::memcpy(ep.data(), &address, size);
  return ep;
}

sockaddr_storage to_sockaddr(const tcp::endpoint& endpoint) noexcept {
  sockaddr_storage address{};
  std::memcpy(&address, endpoint.data(), std::min<std::size_t>(endpoint.size(), sizeof address));
  return address;
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// Between Asio's endpoints and the sockaddr_storage of the PROXY header, the trusted list
// and the forwarding headers (kmr_pure code, which does not know Asio).
#pragma once

#include "core/asio.hpp"

#include <sys/socket.h>

#include <optional>

namespace kmr::net {

// An AF_INET or AF_INET6 address as an endpoint; nullopt for any other family.
std::optional<tcp::endpoint> to_endpoint(const sockaddr_storage& address) noexcept;

sockaddr_storage to_sockaddr(const tcp::endpoint& endpoint) noexcept;

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
#include "app/peer_name.hpp"

#include "net/endpoint_address.hpp"
#include "net/socket_options.hpp"

namespace kmr::app {

peer_name::peer_name(const tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (!ec) address_ = ep;
}

peer_name::peer_name(const sockaddr_storage& address) { address_ = net::to_endpoint(address); }

std::string peer_name::to_string() const {
  if (!address_) return "?";
  if (address_->port() == 0) return address_->address().to_string();
  return net::to_string(*address_);
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "app/peer_name.hpp"

#include "net/socket_options.hpp"

namespace kmr::app {

peer_name::peer_name(const tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (!ec) address_ = ep;
}

std::string peer_name::to_string() const { return address_ ? net::to_string(*address_) : std::string("?"); }

}  // namespace kmr::app

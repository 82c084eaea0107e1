// SPDX-License-Identifier: MIT
// The PROXY protocol in a session: reading the header a balancer puts before a connection
// (accept-proxy), and writing one before ours to the remote (proxy-protocol=).
#pragma once

#include "app/session.hpp"
#include "core/asio.hpp"
#include "core/error.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace kmr::app {

// accept-proxy: checks the peer against trusted= and reads its PROXY header off `inbound`
// under the handshake deadline, taking exactly the header's bytes (TLS or the upgrade
// reads the rest). The header's source becomes c.peer, and its destination c.destination.
// False when the connection must be closed: it is then counted as proxy_refused and
// reported in at most one warning a second per worker.
awaitable<bool> accept_proxy_header(tcp::socket& inbound, connection& c);

// proxy-protocol=: where the header we send says the client connected, when no header
// came with the connection: our own end of it.
inline void note_destination(const tcp::socket& inbound, connection& c) {
  if (!c.config().proxy.send || c.destination) return;
  error_code ec;
  const auto local = inbound.local_endpoint(ec);
  if (!ec) c.destination = local;
}

// The header proxy-protocol= sends for this connection: the client as source, its
// destination as destination; UNKNOWN (v1) or LOCAL (v2) when either is not known.
// `datagram`: the v2 protocol is DGRAM (a uot flow) rather than STREAM.
std::vector<std::byte> proxy_header_for(const connection& c, bool datagram);

// Writes that header on a freshly connected socket, before anything else; does nothing
// without proxy-protocol=. A failure ends the connection as a reset.
awaitable<error_code> send_proxy_header(tcp::socket& outbound, connection& c, bool datagram = false);

}  // namespace kmr::app

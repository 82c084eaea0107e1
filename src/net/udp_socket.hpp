// SPDX-License-Identifier: MIT
// UDP sockets for uot: the client's listening socket (one per worker on the same port,
// SO_REUSEPORT), the server's connected socket to the remote, and sending one datagram
// without waiting on the usual path. All of them are non-blocking.
#pragma once

#include "core/asio.hpp"
#include "net/resolver.hpp"

#include <span>
#include <string>
#include <tuple>

namespace kmr::net {

// Opens and binds with SO_REUSEPORT, so each worker has its own socket on the port (the
// kernel keeps each source on one of them). Port 0: bind the others to the first's port.
std::tuple<error_code, udp::socket> open_udp_listener(asio::io_context& ctx, const udp::endpoint& at);

// A socket connected to the first of `candidates` that takes it (connecting a UDP socket
// only picks the route, so a failure means no route or no such address family).
std::tuple<error_code, udp::socket> connect_udp_first(const asio::any_io_executor& ex, const endpoints& candidates);

// Sends one datagram: to `to`, or to the connected peer when `to` is null. Waits for room
// only when the socket buffer is full, a few times at most. Errors are the kernel's (for
// example ECONNREFUSED after an ICMP "port unreachable"); the caller drops the datagram.
// `prefix`, if any, goes first in the same datagram (a PROXY header).
awaitable<error_code> send_datagram(udp::socket& s, std::span<const std::byte> datagram, const udp::endpoint* to,
                                    std::span<const std::byte> prefix = {});

// "1.2.3.4:53" or "[::1]:53".
std::string to_string(const udp::endpoint& ep);

}  // namespace kmr::net

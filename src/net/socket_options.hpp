// SPDX-License-Identifier: MIT
// Socket settings applied to every leg of the tunnel. Failures are ignored on purpose:
// an option the kernel refuses must not cost the user the connection.
#pragma once

#include "core/asio.hpp"

#include <chrono>
#include <string>

namespace kmr::net {

// TCP_NODELAY (latency: the tunnel adds no Nagle delay to small writes) and, when
// `keepalive_idle` is not zero, TCP keepalive so a vanished peer is noticed.
void tune_connection(tcp::socket& s, std::chrono::milliseconds keepalive_idle) noexcept;

// The same settings on a listening socket: Linux copies them to every socket it accepts
// (the accepted socket is a clone of the listener, keepalive timer armed), which saves
// the five setsockopt(2) calls, about 5 us, per accepted connection.
void tune_listener(tcp::acceptor& a, std::chrono::milliseconds keepalive_idle) noexcept;

// Makes the next close() send a reset instead of a FIN, so an error on one leg reaches
// the other as an error, not as a clean end of stream.
void reset_on_close(tcp::socket& s) noexcept;

// "1.2.3.4:80" or "[::1]:80", as users write addresses.
std::string to_string(const tcp::endpoint& ep);

}  // namespace kmr::net

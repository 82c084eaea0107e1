// SPDX-License-Identifier: MIT
// Plain TCP to plain TCP without copying through user space: splice(2) moves the bytes
// from one socket into a pipe and from the pipe into the other socket, inside the kernel.
#pragma once

#include "net/relay_watch.hpp"
#include "net/tcp_stream.hpp"

namespace kmr::net {

// One direction, like pump(): until end of stream (passed on as a FIN) or an error.
awaitable<void> splice_pump(tcp_stream& from, tcp_stream& to, relay_watch& watch);

}  // namespace kmr::net

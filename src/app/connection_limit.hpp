// SPDX-License-Identifier: MIT
// max-connections= when it is not given: as many connections as the descriptor limit can
// hold, with a reserve, so that accept() never fails for want of a descriptor.
#pragma once

#include "opt/config.hpp"

#include <cstddef>

namespace kmr::app {

// Descriptors one connection may hold at once: its two sockets, and, on a stack that may
// splice (tcp, or ws without tls), a pipe for each direction while bytes are in flight.
std::size_t descriptors_per_connection(const opt::tunnel_config& c) noexcept;

// Kept for everything else: listeners, event loops, the metrics endpoint, files being
// reloaded, and the pipes each worker keeps idle for reuse.
std::size_t reserved_descriptors(const opt::tunnel_config& c) noexcept;

// The connection cap for a soft descriptor limit `nofile` (-1: unlimited), at least 1;
// the reserve is at most a quarter of the limit.
std::size_t default_max_connections(long nofile, const opt::tunnel_config& c) noexcept;

}  // namespace kmr::app

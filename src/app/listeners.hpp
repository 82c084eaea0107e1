// SPDX-License-Identifier: MIT
// The workers' listening sockets: bound here to <local_addr>, one per worker on the same
// port (SO_REUSEPORT), or taken over from systemd's socket activation (LISTEN_FDS), so
// that the socket outlives the process across restarts and upgrades.
#pragma once

#include "app/worker.hpp"
#include "opt/config.hpp"
#include "sys/listen_fds.hpp"

#include <list>
#include <vector>

namespace kmr::app {

// Opens a listener for every worker; false after logging why not. With `inherited`
// sockets (systemd), the first of the right type (stream, or datagram for kaminaric with
// uot) is shared by every worker and nothing is bound.
bool open_listeners(std::list<worker>& workers, const opt::tunnel_config& config,
                    const std::vector<sys::inherited_socket>& inherited);

}  // namespace kmr::app

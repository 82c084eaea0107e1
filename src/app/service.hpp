// SPDX-License-Identifier: MIT
// The process as a service: workers started on their listeners, then the main thread
// answers signals (SIGHUP reloads the TLS material, SIGTERM/SIGINT stop or drain), keeps
// systemd informed (sd_notify) and reloads when the TLS files change (reload=watch).
#pragma once

#include "app/runtime.hpp"
#include "sys/listen_fds.hpp"

#include <vector>

namespace kmr::app {

// Runs until stopped; returns the exit status. `first` is the start-up snapshot, already
// checked; `inherited` the sockets systemd passed (usually none).
int serve(runtime_ptr first, const std::vector<sys::inherited_socket>& inherited);

}  // namespace kmr::app

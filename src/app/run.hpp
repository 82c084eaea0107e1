// SPDX-License-Identifier: MIT
// The whole program behind both mains: command line, options, listeners, worker
// threads, signals. Returns the process exit status.
#pragma once

#include "opt/config.hpp"

namespace kmr::app {

// Exit statuses: 0 after SIGTERM/SIGINT or for --help/--version; 2 for a usage or option
// error (the message names it); 1 when the tunnel cannot start (e.g. the port is taken).
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime_error = 1;
inline constexpr int exit_usage_error = 2;

int run_program(opt::side role, int argc, char** argv);

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// Listening sockets, one per worker thread on the same port (SO_REUSEPORT lets the kernel
// spread new connections), and the accept loop that survives transient errors.
#pragma once

#include "core/asio.hpp"
#include "metrics/tunnel_metrics.hpp"

#include <array>

#include <functional>
#include <string>
#include <tuple>

namespace kmr::net {

// Opens, binds and listens. With SO_REUSEPORT, so several acceptors can share a port.
// Port 0 binds an ephemeral port; bind the others to `local_endpoint()` of the first.
std::tuple<error_code, tcp::acceptor> open_listener(asio::io_context& ctx, const tcp::endpoint& at);

using session_starter = std::function<void(tcp::socket)>;

// Accepts until the acceptor is closed. EMFILE, ENFILE, ECONNABORTED and the like are
// logged (at most once a second) and followed by a short pause, never by an exit: the
// original kaminari exited on the first accept error. Each error is counted in `errors`
// by kind.
using accept_error_counters = std::array<metrics::counter, metrics::accept_error_count>;
awaitable<void> accept_loop(tcp::acceptor& acceptor, session_starter start, accept_error_counters& errors);

}  // namespace kmr::net

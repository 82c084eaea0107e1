// SPDX-License-Identifier: MIT
// Outgoing TCP connections with a deadline, trying every resolved address in turn.
#pragma once

#include "core/asio.hpp"
#include "net/resolver.hpp"

#include <chrono>
#include <tuple>

namespace kmr::net {

// Each address gets up to `per_attempt` to connect; the first that succeeds wins. On
// failure the error is the last attempt's (asio::error::timed_out for a deadline).
awaitable<std::tuple<error_code, tcp::socket>> connect_first(const endpoints& candidates,
                                                             std::chrono::milliseconds per_attempt);

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// One tunnelled connection, from its accepted socket to its end. The client side carries
// an application's connection into the tunnel; the server side carries a tunnel
// connection out to the remote.
#pragma once

#include "core/asio.hpp"
#include "core/rate_limit.hpp"
#include "net/resolver.hpp"
#include "opt/config.hpp"

#include <cstdint>

namespace kmr::app {

// Per worker thread: what its sessions share (nothing crosses threads but the config).
struct session_context {
  session_context(asio::any_io_executor ex, const opt::tunnel_config& cfg, unsigned worker_index,
                  unsigned worker_count)
      : config(cfg), resolver(std::move(ex)), next_id(worker_index), id_stride(worker_count) {}

  const opt::tunnel_config& config;
  net::resolver_cache resolver;
  rate_limit connect_failure_reports{std::chrono::seconds(1)};
  rate_limit handshake_failure_reports{std::chrono::seconds(1)};
  std::uint64_t next_id;  // ids are unique across workers: index, index + count, ...
  unsigned id_stride;
};

// Starts the session's coroutine on the socket's executor. It never throws; anything
// unexpected is logged with the connection id.
void start_session(tcp::socket inbound, session_context& ctx);

// The two sides (client_session.cpp, server_session.cpp).
awaitable<void> client_session(tcp::socket inbound, session_context& ctx, std::uint64_t id);
awaitable<void> server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id);

}  // namespace kmr::app

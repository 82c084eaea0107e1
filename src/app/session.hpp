// SPDX-License-Identifier: MIT
// One tunnelled connection, from its accepted socket to its end. The client side carries
// an application's connection into the tunnel; the server side carries a tunnel
// connection out to the remote.
#pragma once

#include "core/asio.hpp"
#include "core/rate_limit.hpp"
#include "net/resolver.hpp"
#include "opt/config.hpp"
#include "tls/context.hpp"
#include "tls/session_store.hpp"
#include "uot/flow_budget.hpp"

#include <cstdint>

namespace kmr::app {

// The tls layer, built once at start-up and shared read-only by every worker.
struct tls_setup {
  tls::ssl_ctx_ptr context;         // client or server, as the process is
  tls::client_settings client;      // the client's per-connection settings (SNI...)
};

// Per worker thread: what its sessions share (nothing crosses threads but the config and
// the TLS context).
struct session_context {
  session_context(asio::any_io_executor ex, const opt::tunnel_config& cfg, const tls_setup* tls_layer,
                  unsigned worker_index, unsigned worker_count)
      : config(cfg), tls(tls_layer), resolver(std::move(ex)), next_id(worker_index), id_stride(worker_count) {}

  const opt::tunnel_config& config;
  const tls_setup* tls;  // null without the tls layer
  tls::session_store tickets;  // client: this thread's session tickets, for resumption and 0-RTT
  net::resolver_cache resolver;
  rate_limit connect_failure_reports{std::chrono::seconds(1)};
  rate_limit handshake_failure_reports{std::chrono::seconds(1)};
  uot::flow_budget* udp_flows = nullptr;  // uot: the process's udp-max-flows, shared by the workers
  std::uint64_t next_id;  // ids are unique across workers: index, index + count, ...
  unsigned id_stride;
};

// Starts the session's coroutine on the socket's executor. It never throws; anything
// unexpected is logged with the connection id.
void start_session(tcp::socket inbound, session_context& ctx);

// The two sides (client_session.cpp, server_session.cpp).
awaitable<void> client_session(tcp::socket inbound, session_context& ctx, std::uint64_t id);
awaitable<void> server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id);
// kaminaris with uot (uot_server.cpp): the tunnel's records to and from a UDP remote.
awaitable<void> uot_server_session(tcp::socket inbound, session_context& ctx, std::uint64_t id);

}  // namespace kmr::app

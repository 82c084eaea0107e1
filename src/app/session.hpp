// SPDX-License-Identifier: MIT
// One tunnelled connection, from its accepted socket to its end. The client side carries
// an application's connection into the tunnel; the server side carries a tunnel
// connection out to the remote.
#pragma once

#include "app/peer_name.hpp"
#include "app/remote_choice.hpp"
#include "app/runtime.hpp"
#include "app/runtime_slot.hpp"
#include "core/asio.hpp"
#include "core/rate_limit.hpp"
#include "metrics/tunnel_metrics.hpp"
#include "net/relay_watch.hpp"
#include "net/resolver.hpp"
#include "tls/session_store.hpp"
#include "core/slot_budget.hpp"
#include "uot/flow_budget.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

namespace kmr::app {

// Per worker thread: what its connections share. Nothing here crosses threads but the
// snapshot slot (read at each accept) and the counters (read by the control thread: the
// drain and the metrics scrape).
struct worker_state {
  worker_state(asio::any_io_executor ex, const runtime_slot& slot, unsigned worker_index, unsigned worker_count)
      : runtimes(slot), resolver(std::move(ex)), next_id(worker_index), id_stride(worker_count) {}

  const runtime_slot& runtimes;  // the snapshot new connections take
  tls::session_store tickets;    // client: this thread's session tickets, for resumption and 0-RTT
  net::resolver_cache resolver;
  rate_limit connect_failure_reports{std::chrono::seconds(1)};
  rate_limit handshake_failure_reports{std::chrono::seconds(1)};
  rate_limit proxy_refusal_reports{std::chrono::seconds(1)};
  uot::flow_budget* udp_flows = nullptr;  // uot: the process's udp-max-flows, shared by the workers
  slot_budget* connections = nullptr;     // the process's max-connections, shared by the workers
  rate_limit connection_limit_reports{std::chrono::seconds(1)};
  remote_choice remote_order;  // with a list of remotes: the roundrobin cursor, who is set aside
  std::uint64_t next_id;  // ids are unique across workers: index, index + count, ...
  unsigned id_stride;
  // Connections (or UDP flows) open now. Written by this worker once per connection,
  // never per byte; the control thread reads it to drain.
  std::atomic<std::uint64_t> open{0};
  metrics::worker_metrics metrics;  // written by this worker only (metrics/counter.hpp)

  std::uint64_t take_id() noexcept {
    const auto id = next_id;
    next_id += id_stride;
    return id;
  }
};

// What every step of one connection needs. Lives in the session's coroutine frame; the
// snapshot is held for the connection's whole life, so a reload never changes it. When
// it is destroyed, the connection is over: it is counted by how it ended (`ending`, set
// by the step that ended it), and with log-connections one line says so.
struct connection {
  connection(runtime_ptr snapshot, worker_state& w, std::uint64_t connection_id, peer_name from);
  connection(connection&& other) noexcept;  // the moved-from one counts nothing
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection& operator=(connection&&) = delete;
  ~connection();

  runtime_ptr runtime;
  worker_state& worker;
  std::uint64_t id;
  peer_name peer;  // the client: the TCP peer, or who a trusted balancer says it is
  // With proxy-protocol=: the address the client connected to (ours, or the one its PROXY
  // header names), the destination of the header we send.
  std::optional<tcp::endpoint> destination;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  net::traffic traffic;  // the relay's bytes (0: upstream), also added to the worker's totals
  metrics::end_reason ending = metrics::end_reason::aborted;  // until a step says otherwise
  const opt::host_port* remote = nullptr;  // the one of config().remotes connected to, once it is

  const opt::tunnel_config& config() const noexcept { return runtime->config; }
  void end(metrics::end_reason why) noexcept { ending = why; }

 private:
  bool owns_record_ = true;
};

// Starts the session's coroutine on the socket's executor, with the current snapshot. It
// never throws; anything unexpected is logged with the connection id.
void start_session(tcp::socket inbound, worker_state& worker);

// The two sides (client_session.cpp, server_session.cpp).
awaitable<void> client_session(tcp::socket inbound, connection c);
awaitable<void> server_session(tcp::socket inbound, connection c);
// kaminaris with uot (uot_server.cpp): the tunnel's records to and from a UDP remote.
awaitable<void> uot_server_session(tcp::socket inbound, connection c);

}  // namespace kmr::app

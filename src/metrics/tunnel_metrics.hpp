// SPDX-License-Identifier: MIT
// What one worker thread counts about its connections and UDP flows (docs/metrics.md
// names each metric). The worker writes; the scrape sums every worker's copy.
#pragma once

#include "metrics/counter.hpp"

#include <array>
#include <cstddef>
#include <string_view>

namespace kmr::metrics {

// How a connection ended: the `reason` label of kaminari_connections_ended_total.
enum class end_reason : std::uint8_t {
  completed,             // both directions ended cleanly
  reset,                 // an error or a reset on either side, after the set-up
  connect_failed,        // the TCP connect to the next hop failed (the tcp layer)
  connect_timeout,       // ... within connect-timeout
  tls_handshake_failed,  // the TLS layer refused or failed
  ws_handshake_failed,   // the WebSocket upgrade was refused or failed
  handshake_timeout,     // handshake-timeout passed during the set-up
  idle_timeout,          // idle-timeout (TCP) or udp-timeout (a uot flow)
  half_close_timeout,    // half-close-timeout
  refused,               // refused by a limit (max-connections, udp-max-flows)
  fallback,              // not our upgrade: relayed to the fallback site
  proxy_refused,         // accept-proxy: no valid PROXY header, or not from trusted=
  aborted,               // cut by the process stopping, or an internal error
};
inline constexpr std::size_t end_reason_count = static_cast<std::size_t>(end_reason::aborted) + 1;
std::string_view to_string(end_reason r) noexcept;

// The two directions of a tunnel, as seen from the client: upstream carries what the
// application sends toward the remote, downstream the answers.
enum class direction : std::uint8_t { upstream, downstream };
std::string_view to_string(direction d) noexcept;

// Why a datagram was dropped (kaminari_udp_datagrams_dropped_total{reason}). The kernel's
// own drops (a full receive buffer) are read from /proc at each scrape, not counted here.
enum class udp_drop : std::uint8_t {
  queue_full,     // kaminaric: the flow's queue is full (its tunnel is slower than its source)
  oversize,       // larger than a uot record can carry
  flow_limit,     // a new source while udp-max-flows flows are open
  send_failed,    // the kernel refused to send it (its send buffer is full)
  tunnel_failed,  // lost with a tunnel that failed or ended
};
inline constexpr std::size_t udp_drop_count = static_cast<std::size_t>(udp_drop::tunnel_failed) + 1;
std::string_view to_string(udp_drop d) noexcept;

// Accept errors by kind (kaminari_accept_errors_total{error}).
enum class accept_error : std::uint8_t { emfile, enfile, enomem, other };
inline constexpr std::size_t accept_error_count = static_cast<std::size_t>(accept_error::other) + 1;
std::string_view to_string(accept_error e) noexcept;
accept_error classify_accept_error(int errno_value) noexcept;

struct tls_counters {
  counter full_handshakes;
  counter resumed_handshakes;
  counter early_data_sent;      // client: a connection whose first bytes left as early data
  counter early_data_accepted;  // the server took them
  counter early_data_rejected;  // the server refused them (the client sent them again)
  duration_histogram handshake;
};

// One worker's counters. Aligned so that no two workers' counters share a cache line.
struct alignas(64) worker_metrics {
  counter accepted;
  std::array<counter, end_reason_count> ended{};
  std::array<counter, 2> bytes{};  // by direction
  tls_counters tls;
  duration_histogram ws_handshake;
  counter fallbacks;
  std::array<counter, accept_error_count> accept_errors{};
  // uot
  counter udp_flows_created;
  counter udp_flows_expired;       // ended by udp-timeout
  std::array<counter, 2> datagrams{};  // relayed, by direction
  std::array<counter, udp_drop_count> datagrams_dropped{};

  counter& ended_by(end_reason r) noexcept { return ended[static_cast<std::size_t>(r)]; }
  counter& dropped(udp_drop d) noexcept { return datagrams_dropped[static_cast<std::size_t>(d)]; }
};

}  // namespace kmr::metrics

// SPDX-License-Identifier: MIT
#include "app/metrics_report.hpp"

#include "core/version.hpp"
#include "metrics/exposition.hpp"

#include <openssl/crypto.h>

#include <array>
#include <vector>

namespace kmr::app {
namespace {

using metrics::exposition;
using metrics::label;
using metrics::metric_type;

// Sums one counter over the workers; `pick` chooses it from a worker's metrics.
template <class Pick>
std::uint64_t sum(const std::list<worker>& workers, Pick pick) {
  std::uint64_t total = 0;
  for (const auto& w : workers) total += pick(w.counters()).value();
  return total;
}

// The buckets of one histogram summed over the workers.
template <class Pick>
void write_histogram(exposition& out, std::string_view name, std::string_view help, const std::list<worker>& workers,
                     std::span<const label> labels, Pick pick) {
  std::array<std::uint64_t, metrics::duration_histogram::bucket_count> buckets{};
  std::uint64_t sum_ns = 0;
  for (const auto& w : workers) {
    const metrics::duration_histogram& h = pick(w.counters());
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.bucket(i);
    sum_ns += h.sum_ns();
  }
  out.family(name, metric_type::histogram, help);
  out.histogram(name, labels, metrics::duration_histogram::bounds(), buckets, static_cast<double>(sum_ns) / 1e9);
}

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

metrics_report::metrics_report(const std::list<worker>& workers, const runtime_slot& runtimes, const control& ctl,
                               const uot::flow_budget& udp_flows)
    : workers_(workers), runtimes_(runtimes), control_(ctl), udp_flows_(udp_flows) {}

std::string metrics_report::render() {
  const auto snapshot = runtimes_.current();
  const auto& config = snapshot->config;
  const std::string_view side = config.role == opt::side::client ? "client" : "server";
  const std::string_view transport = transport_name(*snapshot);
  const bool tls = config.tls.has_value();
  const bool ws = config.ws.has_value();
  const std::array side_only{label{"side", side}};
  const std::array base{label{"side", side}, label{"transport", transport}};
  exposition out;

  out.family("kaminari_build_info", metric_type::gauge, "Always 1; the labels name the build and the OpenSSL in use.");
  const std::array build{label{"side", side}, label{"version", KMR_VERSION},
                         label{"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)}};
  out.sample("kaminari_build_info", build, std::uint64_t{1});
  out.family("kaminari_start_time_seconds", metric_type::gauge, "When the process started, in Unix time.");
  out.sample("kaminari_start_time_seconds", side_only, unix_seconds(started_));
  out.family("kaminari_draining", metric_type::gauge, "1 while draining after SIGTERM (drain=), else 0.");
  out.sample("kaminari_draining", side_only, std::uint64_t{control_.draining() ? 1u : 0u});

  out.family("kaminari_connections_total", metric_type::counter,
             "Connections accepted (kaminaric with uot: UDP flows opened), each carried by one tunnel connection.");
  out.sample("kaminari_connections_total", base, sum(workers_, [](auto& m) -> auto& { return m.accepted; }));
  out.family("kaminari_connections_active", metric_type::gauge, "Connections (or UDP flows) open now.");
  std::uint64_t open = 0;
  for (const auto& w : workers_) open += w.open_connections();
  out.sample("kaminari_connections_active", base, open);
  out.family("kaminari_connections_ended_total", metric_type::counter, "Connections ended, by how they ended.");
  for (std::size_t r = 0; r < metrics::end_reason_count; ++r) {
    const std::array labels{label{"side", side}, label{"transport", transport},
                            label{"reason", metrics::to_string(static_cast<metrics::end_reason>(r))}};
    out.sample("kaminari_connections_ended_total", labels, sum(workers_, [r](auto& m) -> auto& { return m.ended[r]; }));
  }
  if (!config.uot) {
    out.family("kaminari_bytes_total", metric_type::counter,
               "Payload bytes relayed; upstream is from the application toward the remote.");
    for (std::size_t d = 0; d < 2; ++d) {
      const std::array labels{label{"side", side}, label{"transport", transport},
                              label{"direction", metrics::to_string(static_cast<metrics::direction>(d))}};
      out.sample("kaminari_bytes_total", labels, sum(workers_, [d](auto& m) -> auto& { return m.bytes[d]; }));
    }
  }
  out.family("kaminari_accept_errors_total", metric_type::counter,
             "Failed accepts on the tunnel listener, by error (emfile: the descriptor limit).");
  for (std::size_t e = 0; e < metrics::accept_error_count; ++e) {
    const std::array labels{label{"side", side},
                            label{"error", metrics::to_string(static_cast<metrics::accept_error>(e))}};
    out.sample("kaminari_accept_errors_total", labels,
               sum(workers_, [e](auto& m) -> auto& { return m.accept_errors[e]; }));
  }

  if (tls) {
    out.family("kaminari_tls_handshakes_total", metric_type::counter, "TLS handshakes completed, full or resumed.");
    const std::array full{label{"side", side}, label{"kind", "full"}};
    const std::array resumed{label{"side", side}, label{"kind", "resumed"}};
    out.sample("kaminari_tls_handshakes_total", full, sum(workers_, [](auto& m) -> auto& { return m.tls.full_handshakes; }));
    out.sample("kaminari_tls_handshakes_total", resumed,
               sum(workers_, [](auto& m) -> auto& { return m.tls.resumed_handshakes; }));
    out.family("kaminari_tls_early_data_total", metric_type::counter,
               "TLS 1.3 early data (0rtt): connections that sent it (client), and whether the server accepted it.");
    const std::array sent{label{"side", side}, label{"outcome", "sent"}};
    const std::array accepted{label{"side", side}, label{"outcome", "accepted"}};
    const std::array rejected{label{"side", side}, label{"outcome", "rejected"}};
    out.sample("kaminari_tls_early_data_total", sent, sum(workers_, [](auto& m) -> auto& { return m.tls.early_data_sent; }));
    out.sample("kaminari_tls_early_data_total", accepted,
               sum(workers_, [](auto& m) -> auto& { return m.tls.early_data_accepted; }));
    out.sample("kaminari_tls_early_data_total", rejected,
               sum(workers_, [](auto& m) -> auto& { return m.tls.early_data_rejected; }));
    write_histogram(out, "kaminari_tls_handshake_duration_seconds", "Time to complete a TLS handshake.", workers_,
                    side_only, [](auto& m) -> auto& { return m.tls.handshake; });
  }
  if (ws) {
    write_histogram(out, "kaminari_ws_handshake_duration_seconds", "Time to complete a WebSocket upgrade.", workers_,
                    side_only, [](auto& m) -> auto& { return m.ws_handshake; });
    if (config.role == opt::side::server) {
      out.family("kaminari_ws_fallbacks_total", metric_type::counter,
                 "Requests that were not our upgrade, handed to the fallback site.");
      out.sample("kaminari_ws_fallbacks_total", side_only, sum(workers_, [](auto& m) -> auto& { return m.fallbacks; }));
    }
  }

  if (config.uot) {
    out.family("kaminari_udp_flows_active", metric_type::gauge, "UDP flows open now.");
    out.sample("kaminari_udp_flows_active", side_only, std::uint64_t{udp_flows_.in_use()});
    out.family("kaminari_udp_flows_created_total", metric_type::counter, "UDP flows opened.");
    out.sample("kaminari_udp_flows_created_total", side_only,
               sum(workers_, [](auto& m) -> auto& { return m.udp_flows_created; }));
    out.family("kaminari_udp_flows_expired_total", metric_type::counter, "UDP flows ended by udp-timeout.");
    out.sample("kaminari_udp_flows_expired_total", side_only,
               sum(workers_, [](auto& m) -> auto& { return m.udp_flows_expired; }));
    out.family("kaminari_udp_datagrams_total", metric_type::counter,
               "Datagrams relayed; upstream is from the application toward the remote.");
    for (std::size_t d = 0; d < 2; ++d) {
      const std::array labels{label{"side", side},
                              label{"direction", metrics::to_string(static_cast<metrics::direction>(d))}};
      out.sample("kaminari_udp_datagrams_total", labels, sum(workers_, [d](auto& m) -> auto& { return m.datagrams[d]; }));
    }
    out.family("kaminari_udp_datagrams_dropped_total", metric_type::counter,
               "Datagrams dropped, by reason; socket_buffer counts the kernel's drops on our full receive buffers.");
    for (std::size_t r = 0; r < metrics::udp_drop_count; ++r) {
      const std::array labels{label{"side", side},
                              label{"reason", metrics::to_string(static_cast<metrics::udp_drop>(r))}};
      out.sample("kaminari_udp_datagrams_dropped_total", labels,
                 sum(workers_, [r](auto& m) -> auto& { return m.datagrams_dropped[r]; }));
    }
    const std::array kernel{label{"side", side}, label{"reason", "socket_buffer"}};
    out.sample("kaminari_udp_datagrams_dropped_total", kernel, kernel_drops_.update());
  }

  if (tls) {
    out.family("kaminari_reloads_total", metric_type::counter, "Reloads of the TLS files (SIGHUP, reload=watch).");
    const std::array ok{label{"side", side}, label{"result", "ok"}};
    const std::array failed{label{"side", side}, label{"result", "failed"}};
    out.sample("kaminari_reloads_total", ok, control_.reloads().succeeded);
    out.sample("kaminari_reloads_total", failed, control_.reloads().failed);
  }
  if (snapshot->certificate_expiry) {
    out.family("kaminari_certificate_expiry_timestamp_seconds", metric_type::gauge,
               "When the certificate in force expires, in Unix time.");
    out.sample("kaminari_certificate_expiry_timestamp_seconds", side_only, unix_seconds(*snapshot->certificate_expiry));
  }
  return out.take();
}

}  // namespace kmr::app

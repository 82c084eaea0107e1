// SPDX-License-Identifier: MIT
// The typed configuration of one tunnel process, built from the addresses and the
// option string, with every value checked at start-up (never later, never by abort).
#pragma once

#include "core/expected.hpp"
#include "core/log.hpp"
#include "net/cidr.hpp"
#include "opt/address.hpp"
#include "opt/plugin_options.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kmr::opt {

enum class side { client, server };

// Deadlines and socket settings of the relay. A zero duration means "off" where the
// option's documentation says so.
struct relay_limits {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds idle_timeout{0};  // 0: no idle limit
  // Once one direction has ended, the other must carry data at least this often.
  std::chrono::milliseconds half_close_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds keepalive{std::chrono::seconds(60)};  // 0: keepalive off
};

// How a client masks its WebSocket frames (kaminari-wire §5.7). `skip` sends an all-zero
// key, which is valid RFC 6455 and lets a kaminari server skip the XOR.
enum class mask_mode { skip, fixed, standard };
const char* to_string(mask_mode m) noexcept;

struct ws_config {
  std::string host;  // the Host header (client) / the Host expected (server)
  std::string path;  // the request target, compared exactly by the server
  mask_mode mask = mask_mode::skip;          // client only
  std::optional<host_port> fallback;         // server only: where refused requests go
};

// The tls layer's options (kaminari-wire §3.2); files are checked when the OpenSSL
// context is built at start-up.
struct tls_config {
  // client
  std::string sni;                // required on the client
  std::vector<std::string> alpn;  // "h2, http/1.1" -> {"h2", "http/1.1"}
  bool insecure = false;
  bool early_data = false;        // 0rtt
  std::string ca_file;            // ca= (extension): a private CA, beside the system store
  // server
  std::string cert_file, key_file, self_signed_name, ocsp_file;
  std::size_t session_cache = 1024;  // tls-session-cache=: tls::default_session_cache
};

// UDP over TCP (uot): kaminaric listens on UDP and gives each source address its own
// tunnel connection; kaminaris sends each tunnel's datagrams to the remote over UDP.
struct uot_config {
  // A flow with no datagram either way for this long is closed (the original's 20 s).
  std::chrono::milliseconds udp_timeout{std::chrono::seconds(20)};
  // Concurrent flows per process: UDP sources (client) or tunnels (server).
  std::size_t max_flows = 1024;
};

// What makes the process re-read its TLS files (cert=, key=, ocsp=; ca= on the client).
// SIGHUP always does; `watch` also reloads when one of the files is replaced.
enum class reload_mode { signal, watch };

// The PROXY protocol (haproxy's proxy-protocol.txt) and forwarding headers: how the real
// client's address reaches us through a balancer, and how we pass it on to the remote.
enum class proxy_version { v1, v2 };
const char* to_string(proxy_version v) noexcept;

struct proxy_config {
  bool accept = false;                     // accept-proxy: a header must come first
  std::optional<net::cidr_list> trusted;   // trusted=: who may send one (and X-Forwarded-For)
  std::optional<proxy_version> send;       // proxy-protocol=: a header toward the remote
};

// How a list of remotes is used (balance=, backoff=).
enum class balance_mode { failover, roundrobin };
const char* to_string(balance_mode m) noexcept;

struct tunnel_config {
  side role = side::client;
  host_port listen;
  // Where connections go (<remote_addr>): never empty. Several are used as `balance`
  // says; kaminaris with uot takes one.
  std::vector<host_port> remotes;
  unsigned threads = 1;
  std::size_t max_connections = 0;  // max-connections=; 0: derived from the descriptor limit at start
  log::level log_level = log::level::info;
  relay_limits limits;
  // TLS and WebSocket set-up together must finish within this (default 10 s).
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  std::optional<ws_config> ws;
  std::optional<tls_config> tls;  // with ws too, the WebSocket runs inside TLS (wss)
  std::optional<uot_config> uot;  // datagrams instead of TCP connections at the edges
  // drain=: after SIGTERM, how long live connections may go on (0: exit at once, which
  // SIP003 hosts rely on: they send SIGKILL about 10 ms after SIGTERM).
  std::chrono::milliseconds drain{0};
  reload_mode reload = reload_mode::signal;  // reload=
  std::optional<host_port> metrics;  // metrics=: where the Prometheus endpoint listens
  bool log_connections = false;      // log-connections
  log::format log_format = log::format::text;  // log-format=
  proxy_config proxy;
  balance_mode balance = balance_mode::failover;             // balance=
  std::chrono::milliseconds backoff{std::chrono::seconds(10)};  // backoff=: a failed remote set aside
  // Items that were ignored (unknown keys, e.g. "mux=0" meant for another plugin).
  std::vector<std::string> ignored_items;
  // Accepted, but worth a word at start-up (e.g. an unknown mask mode, read as skip).
  std::vector<std::string> warnings;
};

// Checks every option; the error names the first offending option. `remotes` holds at
// least one address.
expected<tunnel_config, option_error> make_config(side role, host_port listen, std::vector<host_port> remotes,
                                                  const plugin_options& options);

// The layer stack as the original prints it: "[plain]", "[ws][plain]", "[ws][tls][plain]".
std::string layer_label(const tunnel_config& config);

}  // namespace kmr::opt

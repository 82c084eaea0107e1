// SPDX-License-Identifier: MIT
// Every option, once: the table that drives parsing (config.cpp), --help and the
// generated tables of docs/options.md and README.md (kmr_options_doc), so they cannot drift.
#pragma once

#include "opt/option_spec.hpp"

#include <array>
#include <string>
#include <string_view>

namespace kmr::opt {
namespace detail {

// A function, so that `using enum` stays out of the namespace.
consteval auto make_option_table() {
  using enum option_kind;
  using enum option_side;
  using enum option_group;
  return std::to_array<option_spec>({
      // Layers
      {.name = "ws", .kind = flag, .group = layers, .layer = "ws",
       .help = "WebSocket; needs host= and path=",
       .description = "the WebSocket layer (RFC 6455); needs `host=` and `path=`"},
      {.name = "host", .group = layers, .layer = "ws", .placeholder = "NAME", .required = true,
       .bare_means_absent = true, .help = "the HTTP Host sent (client) and accepted (server)",
       .description = "client: the `Host` header it sends, verbatim. Server: the host it accepts, compared "
                      "without regard to case, with or without a `:port`"},
      {.name = "path", .group = layers, .layer = "ws", .placeholder = "/PATH", .required = true,
       .bare_means_absent = true, .help = "the request path sent (client) and accepted (server)",
       .description = "client: the request target it sends, verbatim. Server: the path it accepts, compared "
                      "exactly; a query string on the request is ignored unless `path=` itself has one. A path "
                      "without a leading `/` is accepted with a warning (proxies and CDNs refuse it)"},
      {.name = "mask", .side = client, .group = layers, .layer = "ws", .placeholder = "skip|fixed|standard",
       .default_text = "skip", .bare_means_absent = true,
       .help = "zero key, per-connection or per-frame key",
       .description = "`skip`: every frame carries the all-zero mask key, which is valid RFC 6455 and lets a "
                      "kaminari server skip the XOR (over `ws` without `tls`, both ends then splice the payload "
                      "in the kernel, without copying it); `fixed`: one random key per connection; `standard`: a "
                      "fresh random key per frame. `skipped` and any unknown value also mean `skip`, as in the "
                      "original; an unknown value is warned about"},
      {.name = "fallback", .side = server, .group = layers, .layer = "ws", .placeholder = "ADDR:PORT",
       .help = "send requests that are not our upgrade to this site",
       .description = "a request that is not our upgrade (wrong host or path, not a WebSocket, malformed) is "
                      "handed, with the bytes already read, to this web server, so a prober sees an ordinary "
                      "site. Without it, such a request gets an HTTP error (400, 404, 405, 426, 431) and is "
                      "closed. It is never relayed"},
      {.name = "tls", .kind = flag, .group = layers, .layer = "tls",
       .help = "TLS 1.2/1.3; with ws, the WebSocket runs inside TLS (wss)",
       .description = "the TLS layer, TLS 1.2 or 1.3 with AEAD suites only; with `ws` as well, the WebSocket "
                      "runs inside TLS (wss)"},
      {.name = "sni", .side = client, .group = layers, .layer = "tls", .placeholder = "NAME", .required = true,
       .bare_means_absent = true, .help = "the name sent and verified",
       .description = "the server name sent (SNI) and verified. An IP literal sends no SNI and is verified "
                      "against the certificate's IP SANs"},
      {.name = "alpn", .side = client, .group = layers, .layer = "tls", .placeholder = "a,b",
       .bare_means_absent = true, .help = "ALPN list, e.g. h2,http/1.1",
       .description = "the ALPN list, split on `,`, items trimmed, empty items dropped (`h2, http/1.1`)"},
      {.name = "insecure", .kind = flag, .side = client, .group = layers, .layer = "tls",
       .help = "do not verify the server's certificate",
       .description = "no certificate verification at all; a warning says so at start-up"},
      {.name = "ca", .side = client, .group = layers, .layer = "tls", .placeholder = "FILE",
       .bare_means_absent = true, .help = "also trust this PEM CA file",
       .description = "an extension: also trust the CA certificates in this PEM file. The system trust store is "
                      "always used; the original trusts only its built-in Mozilla roots"},
      {.name = "0rtt", .kind = flag, .side = client, .group = layers, .layer = "tls",
       .help = "TLS 1.3 early data on resumed connections",
       .description = "TLS 1.3 early data. Without it the client still resumes sessions, as the original does: "
                      "session tickets are kept in memory (per worker thread, each used once), and a resumed "
                      "handshake skips the server's signature and the certificate checks. With it, on a resumed "
                      "connection the first bytes, the upgrade request under wss, or whatever the application "
                      "has already sent under tls, leave in the first flight, and the server answers at once. If "
                      "the server refuses the early data, the same bytes are sent again after the handshake: "
                      "never lost, never doubled. The original accepts the flag and sends nothing early"},
      {.name = "cert", .side = server, .group = layers, .layer = "tls", .placeholder = "FILE",
       .bare_means_absent = true, .help = "certificate chain, leaf first (PEM or DER); with key=",
       .description = "the certificate chain: PEM, leaf first, or DER for a single certificate; used with "
                      "`key=`. A file that cannot be read stops start-up with one line naming it (status 2)"},
      {.name = "key", .side = server, .group = layers, .layer = "tls", .placeholder = "FILE",
       .bare_means_absent = true, .help = "the certificate's private key (PEM or DER)",
       .description = "the key of `cert=`: PEM PKCS#8, PKCS#1 or SEC1, or DER; RSA, ECDSA or Ed25519. An "
                      "encrypted key, a key that does not match the certificate, or a file that cannot be read "
                      "stops start-up with one line naming it (status 2)"},
      {.name = "servername", .side = server, .group = layers, .layer = "tls", .placeholder = "NAME",
       .bare_means_absent = true, .help = "self-signed certificate for NAME, made at start-up",
       .description = "used when `cert=` and `key=` are not both given: a self-signed ECDSA P-256 certificate "
                      "made at start-up, with NAME as its CN and as a DNS (or IP) SAN. Clients need `insecure` "
                      "to accept it"},
      {.name = "ocsp", .side = server, .group = layers, .layer = "tls", .placeholder = "FILE",
       .bare_means_absent = true, .help = "DER OCSP response to staple",
       .description = "a DER OCSP response, stapled when a client asks for one. Without `ocsp=` nothing is "
                      "stapled (never an empty response)"},
      {.name = "tls-session-cache", .side = server, .group = layers, .layer = "tls", .placeholder = "N",
       .default_text = "1024", .help = "session cache entries (TLS 1.3 tickets kept for resumption)",
       .description = "an extension: the most entries, 1–1000000, in the server's session cache. Early data with "
                      "replay protection needs stateful TLS 1.3 tickets, so the cache keeps one entry for each "
                      "ticket issued, two per connection; when it is full the oldest entry goes, and a client "
                      "that still holds that ticket makes a full handshake instead of resuming. An entry made "
                      "during a burst of connections keeps about 10 KB after the burst is freed: the default "
                      "costs about 15 MB, where OpenSSL's own bound (20480) grew by 20 MB with each burst of "
                      "10,000 connections (docs/operations.md)"},
      // Behaviour
      {.name = "threads", .placeholder = "N", .default_text = "one per core",
       .help = "worker threads, each with its own listener",
       .description = "worker threads, 1–256. Each runs its own event loop with its own listener on the same "
                      "port (`SO_REUSEPORT`); the kernel spreads new connections across them"},
      {.name = "max-connections", .placeholder = "N", .default_text = "from the descriptor limit",
       .help = "connections open at once; beyond it new ones are refused",
       .description = "TCP connections open at once in the whole process, 1–10000000. One more is accepted and "
                      "closed at once with a reset (counted as `refused`, and warned about at most once a second), "
                      "so the process never runs out of descriptors, which would fail connections at random. "
                      "The default is what the descriptor limit allows: at start-up the soft limit is raised to "
                      "the hard one, a reserve is kept, and each connection is counted for its two sockets, plus "
                      "two pipes when it may splice (`tcp` and `ws` without `tls`). The banner shows the figure"},
      {.name = "log", .placeholder = "LEVEL", .default_text = "info", .help = "error, warn, info or debug",
       .description = "`error`, `warn`, `info` or `debug`. The start-up banner is always printed; `debug` adds "
                      "one line when each connection starts and ends. Nothing is ever logged per chunk of data"},
      {.name = "connect-timeout", .placeholder = "DUR", .default_text = "10s",
       .help = "deadline for connecting to the remote",
       .description = "deadline for each attempt to connect to the remote; every resolved address is tried in "
                      "turn, each with this deadline. It also bounds the wait for the remote's name to resolve: "
                      "connections to one name share one look-up, answers are kept for 5 s and failures for 2 s, "
                      "so a name that does not resolve fails the connections at once instead of stalling them. "
                      "Must be more than 0"},
      {.name = "handshake-timeout", .placeholder = "DUR", .default_text = "10s",
       .help = "deadline for TLS and the WebSocket upgrade",
       .description = "deadline for setting up the layers of one connection: TLS and the WebSocket upgrade "
                      "together. A client that connects and says nothing is closed after this. Must be more "
                      "than 0"},
      {.name = "idle-timeout", .placeholder = "DUR", .default_text = "0: off",
       .help = "close a connection idle in both directions",
       .description = "close a connection that carries no data in either direction for this long"},
      {.name = "half-close-timeout", .placeholder = "DUR", .default_text = "60s",
       .help = "after one direction ends, close when the other is idle this long",
       .description = "once one direction has ended (one side sent its end of stream), close the connection "
                      "if the other direction carries no data for this long. It is an inactivity limit, so a "
                      "long download after the request's end is not cut; it only ends connections whose other "
                      "side went silent, which would otherwise sit in CLOSE_WAIT forever. Must be more than 0"},
      {.name = "keepalive", .placeholder = "DUR", .default_text = "60s", .help = "TCP keepalive idle time; 0: off",
       .description = "TCP keepalive on both legs: after this much silence the kernel probes every 10 s (or "
                      "sooner for short values) and gives up after 6 unanswered probes. `0` turns it off; "
                      "otherwise at least `1s`"},
      // UDP over TCP
      {.name = "uot", .kind = flag, .group = udp_over_tcp, .layer = "uot",
       .help = "client: listen on UDP, one tunnel per source address; server: send each tunnel's datagrams "
               "to <remote_addr> (UDP)",
       .description = "`kaminaric` listens on UDP at `<local_addr>` (instead of TCP) and gives each source "
                      "address its own tunnel connection; `kaminaris` gives each tunnel connection its own "
                      "connected UDP socket to `<remote_addr>`. Combines with `ws` and `tls` (UDP over wss, "
                      "for example)"},
      {.name = "udp-timeout", .group = udp_over_tcp, .layer = "uot", .placeholder = "DUR", .default_text = "20s",
       .help = "close a flow with no datagram either way",
       .description = "a flow with no datagram in either direction for this long is closed, on the end that "
                      "notices first: that end sends a clean end of stream, and the other end closes its side "
                      "at once. Must be more than 0. The original's library has the same 20 s default"},
      {.name = "udp-max-flows", .group = udp_over_tcp, .layer = "uot", .placeholder = "N",
       .default_text = "1024", .help = "flows open at once; beyond it new ones are dropped",
       .description = "flows open at once in the whole process, 1–1000000. Client: a datagram from a new "
                      "source beyond the cap is dropped; server: a tunnel beyond it is refused (reset). Either "
                      "way a warning is logged, at most once a second, so a flood of spoofed sources cannot "
                      "take every descriptor"},
      // Operations
      {.name = "drain", .group = operations, .placeholder = "DUR", .default_text = "0: exit at once",
       .help = "after SIGTERM, let live connections finish for up to DUR, then exit",
       .description = "after SIGTERM, stop accepting at once and let live connections finish for up to this "
                      "long, then exit. `0` exits at once, which SIP003 hosts rely on"},
      {.name = "reload", .group = operations, .placeholder = "signal|watch", .default_text = "signal",
       .help = "SIGHUP re-reads cert=, key=, ocsp= and ca=; watch: also when one is replaced",
       .description = "SIGHUP always re-reads the TLS files: `cert=`, `key=` and `ocsp=` on the server, `ca=` "
                      "on the client. `watch` also reloads when one of those files is replaced on disk"},
      {.name = "metrics", .group = operations, .placeholder = "ADDR:PORT",
       .help = "serve Prometheus metrics at http://ADDR:PORT/metrics (and /healthz)",
       .description = "serve Prometheus metrics over plain HTTP on a listener of its own, at `GET /metrics` "
                      "(text exposition format), and `GET /healthz` (200 while accepting, 503 while draining). "
                      "Give it a loopback or private address, e.g. `127.0.0.1:9100`: it has no authentication. "
                      "Every metric is described in docs/metrics.md"},
      {.name = "log-connections", .kind = flag, .group = operations,
       .help = "one info line per finished connection (peer, bytes, duration, how it ended)",
       .description = "one line at info level for each finished connection (or UDP flow): its id, peer, remote, "
                      "transport, duration, payload bytes each way and how it ended, as in haproxy's tcplog"},
      {.name = "log-format", .group = operations, .placeholder = "text|json", .default_text = "text",
       .help = "json: every log line as one JSON object",
       .description = "`json` writes every log line as one JSON object (`time`, `level`, `message`, and the "
                      "fields of the line, e.g. those of `log-connections`), for journald, Loki or jq"},
      // Load balancers and the client address
      {.name = "accept-proxy", .kind = flag, .group = balancing,
       .help = "require a PROXY protocol header (v1 or v2) first on each accepted connection",
       .description = "each accepted TCP connection must begin with a PROXY protocol header, version 1 or 2 "
                      "(detected), as haproxy's `send-proxy` and `send-proxy-v2` or nginx's `proxy_protocol on` "
                      "send it. It is read before TLS and the WebSocket upgrade, within `handshake-timeout`, and "
                      "its source address becomes the connection's client address: in log lines, in "
                      "`log-connections` and in the header sent with `proxy-protocol=`. A connection without a "
                      "valid header, or from a peer outside `trusted=` when that is given, is closed, with one "
                      "warning a second at most. A `LOCAL` header (a balancer's health check) is accepted and "
                      "the TCP peer stays the client. Ignored, with a warning, by kaminaric with `uot`, which listens on UDP"},
      {.name = "trusted", .group = balancing, .placeholder = "CIDR,...",
       .help = "the balancers and proxies whose PROXY headers or X-Forwarded-For are believed",
       .description = "a comma-separated list of networks (`10.0.0.0/8,127.0.0.1,::1/128`; a bare address is "
                      "one host) of the load balancers, proxies or CDN in front. With `accept-proxy`, only "
                      "connections from these may send a PROXY header; any other peer is closed at once. With "
                      "`ws` on kaminaris, an upgrade request from one of them names the client in "
                      "`X-Forwarded-For` (its right-most address that is not itself trusted), `X-Real-IP` or "
                      "`Forwarded`, and that address becomes the client address. Without `trusted=`, "
                      "`accept-proxy` believes every peer and forwarding headers are never read"},
      {.name = "proxy-protocol", .group = balancing, .placeholder = "v1|v2",
       .help = "start each connection to the remote with a PROXY header naming the client",
       .description = "each connection to the remote starts with a PROXY protocol header: the client's address "
                      "as source, and as destination the address the client connected to (ours, or the one in "
                      "the header it came with). The remote must expect it: haproxy `accept-proxy`, nginx "
                      "`listen ... proxy_protocol`, or a kaminaris with `accept-proxy`. `v1` is the text form, "
                      "`v2` the binary one. On kaminaris with `uot` (v2 only), every datagram to the remote "
                      "starts with a v2 header of its own (command PROXY, protocol DGRAM). When no client "
                      "address is known the header says `UNKNOWN` (v1) or `LOCAL` (v2)"},
      {.name = "balance", .group = balancing, .placeholder = "failover|roundrobin", .default_text = "failover",
       .help = "how a list of remotes (<remote_addr> as a:443,b:443) is used",
       .description = "when `<remote_addr>` lists several addresses (`a.example:443,b.example:443`), "
                      "`failover` sends each connection to the first that is not set aside, and `roundrobin` "
                      "to each in turn. A remote that fails to connect is set aside for `backoff=` and the next "
                      "one is tried at once, so the connection still succeeds while any remote works; when all "
                      "are set aside, all are tried again. Not for `uot` on kaminaris"},
      {.name = "backoff", .group = balancing, .placeholder = "DUR", .default_text = "10s",
       .help = "how long a remote that failed to connect is set aside",
       .description = "with a list of remotes, how long one that failed to connect is skipped before it is "
                      "tried again. Must be more than 0"},
  });
}

}  // namespace detail

inline constexpr auto option_table = detail::make_option_table();

// The --help sections, in order.
inline constexpr std::array<option_group_spec, 5> option_groups = {{
    {option_group::layers, "layers", "Layers (the same on both ends; any order)", ""},
    {option_group::behaviour, "behaviour", "Behaviour", "DUR is seconds (10, 1.5) or with a unit: 500ms, 10s, 2m, 1h."},
    {option_group::udp_over_tcp, "udp-over-tcp", "UDP over TCP (both sides; combines with ws and tls)", ""},
    {option_group::operations, "operations", "Operations", ""},
    {option_group::balancing, "load-balancing", "Load balancers and the client address", ""},
}};

// Whether a row is named exactly `name`. Constant expressions use this rather than
// find_option: GCC 12 under -fsanitize=undefined cannot compare a pointer into the table
// with nullptr at compile time.
constexpr bool has_option(std::string_view name) noexcept {
  for (const auto& o : option_table)
    if (o.name == name) return true;
  return false;
}

// The row named exactly `name`, or nullptr.
constexpr const option_spec* find_option(std::string_view name) noexcept {
  for (const auto& o : option_table)
    if (o.name == name) return &o;
  return nullptr;
}

// How the option is written: "threads=N", "ws".
std::string option_usage(const option_spec& o);

namespace detail {
void key_not_in_option_table();  // never defined: calling it from known_key fails the build
}

// A key the code reads, checked at compile time: a reader can only ask for options that
// are in the table, so an option cannot be parsed without appearing in --help and the docs.
consteval std::string_view known_key(std::string_view name) {
  if (!has_option(name)) detail::key_not_in_option_table();
  return name;
}

}  // namespace kmr::opt

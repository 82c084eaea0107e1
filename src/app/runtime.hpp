// SPDX-License-Identifier: MIT
// What a connection runs with, fixed for its whole life: the options, the TLS context and
// the layer stack composed from them, as one immutable snapshot shared by pointer. An
// accept takes the current snapshot; a reload builds a new one for the next accepts.
#pragma once

#include "core/expected.hpp"
#include "opt/config.hpp"
#include "tls/context.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kmr::app {

// The tls layer of a snapshot. The context is shared so that a reload that fails half-way
// or a snapshot built only to be checked never frees one a connection still uses.
struct tls_layer {
  std::shared_ptr<SSL_CTX> ssl_ctx;  // client or server, as the process is
  tls::client_settings client;       // the client's per-connection settings (SNI...)
  // Server: the context whose session cache and ticket keys every connection resumes
  // from, the process's first, carried from snapshot to snapshot. OpenSSL's TLS 1.3
  // tickets with anti-replay are entries of the issuing context's cache, so a reloaded
  // context of its own would resume none of the tickets handed out before it.
  std::shared_ptr<SSL_CTX> session_ctx;
};

// The layer stacks the original offers (kaminari-wire §2), as values: a connection visits
// the stack once and runs the coroutine of that combination, so the relay below it is
// monomorphic and each frame holds only its own combination's state.
struct plain_stack {};
struct ws_stack {
  opt::ws_config ws;
};
struct tls_stack {
  tls_layer tls;
};
struct wss_stack {  // the WebSocket runs inside TLS
  tls_layer tls;
  opt::ws_config ws;
};
using layer_stack = std::variant<plain_stack, ws_stack, tls_stack, wss_stack>;

struct runtime {
  opt::tunnel_config config;
  layer_stack stack;
  // What the snapshot's TLS material is, for log lines ("certificate: subject ..."): empty
  // without tls.
  std::string tls_description;
  // A warning to repeat at start and at each reload, e.g. "certificate FILE expires in 9
  // days (...)"; empty when the certificate is good for more than 14 days.
  std::string expiry_warning;
  // The files a reload re-reads (cert=, key=, ocsp= or ca=), for reload=watch.
  std::vector<std::string> tls_files;
  // Server: when the certificate in force expires (a metric, a timestamp gauge).
  std::optional<std::chrono::system_clock::time_point> certificate_expiry;
};
using runtime_ptr = std::shared_ptr<const runtime>;

// Builds a snapshot: the TLS context (files read and checked now) and the stack. With
// `previous` (a reload), the server keeps resuming from the first context's session
// cache, so tickets issued before the reload still resume after it. An error names the
// option to blame (e.g. "key").
expected<runtime_ptr, tls::context_error> make_runtime(const opt::tunnel_config& config,
                                                       const runtime* previous = nullptr);

// The tls layer of a snapshot, or null without one.
const tls_layer* tls_of(const runtime& r) noexcept;

// The layer stack's name in metrics and connection log lines: tcp, ws, tls or wss.
std::string_view transport_name(const runtime& r) noexcept;

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "metrics/tunnel_metrics.hpp"

#include <cerrno>

namespace kmr::metrics {

std::string_view to_string(end_reason r) noexcept {
  switch (r) {
    case end_reason::completed: return "completed";
    case end_reason::reset: return "reset";
    case end_reason::connect_failed: return "connect_failed";
    case end_reason::connect_timeout: return "connect_timeout";
    case end_reason::tls_handshake_failed: return "tls_handshake_failed";
    case end_reason::ws_handshake_failed: return "ws_handshake_failed";
    case end_reason::handshake_timeout: return "handshake_timeout";
    case end_reason::idle_timeout: return "idle_timeout";
    case end_reason::half_close_timeout: return "half_close_timeout";
    case end_reason::refused: return "refused";
    case end_reason::fallback: return "fallback";
    case end_reason::proxy_refused: return "proxy_refused";
    case end_reason::aborted: return "aborted";
  }
  return "aborted";
}

std::string_view to_string(direction d) noexcept { return d == direction::upstream ? "upstream" : "downstream"; }

std::string_view to_string(udp_drop d) noexcept {
  switch (d) {
    case udp_drop::queue_full: return "queue_full";
    case udp_drop::oversize: return "oversize";
    case udp_drop::flow_limit: return "flow_limit";
    case udp_drop::send_failed: return "send_failed";
    case udp_drop::tunnel_failed: return "tunnel_failed";
  }
  return "tunnel_failed";
}

std::string_view to_string(accept_error e) noexcept {
  switch (e) {
    case accept_error::emfile: return "emfile";
    case accept_error::enfile: return "enfile";
    case accept_error::enomem: return "enomem";
    case accept_error::other: return "other";
  }
  return "other";
}

accept_error classify_accept_error(int errno_value) noexcept {
  switch (errno_value) {
    case EMFILE: return accept_error::emfile;
    case ENFILE: return accept_error::enfile;
    case ENOMEM:
    case ENOBUFS: return accept_error::enomem;
    default: return accept_error::other;
  }
}

}  // namespace kmr::metrics

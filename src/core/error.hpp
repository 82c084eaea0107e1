// SPDX-License-Identifier: MIT
// The project's own error codes, in an error_category so they travel through the same
// error_code paths as the system's (STYLE rule 7).
#pragma once

#include <boost/system/error_code.hpp>

namespace kmr {

enum class errc {
  ws_protocol_error = 1,   // a frame broke RFC 6455 (text frame, bad opcode, RSV bits...)
  ws_upgrade_rejected,     // the server did not answer our upgrade with a valid 101
  ws_bad_request,          // a client's upgrade request was refused (HTTP error sent)
  handshake_timeout,       // TLS and WebSocket set-up did not finish in time
  tls_failed,              // the TLS layer failed; details are logged where it happens
};

const boost::system::error_category& kmr_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), kmr_category()};
}

}  // namespace kmr

template <>
struct boost::system::is_error_code_enum<kmr::errc> : std::true_type {};

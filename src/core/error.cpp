// SPDX-License-Identifier: MIT
#include "core/error.hpp"

#include <string>

namespace kmr {
namespace {

// Boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "kaminari"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ws_protocol_error: return "WebSocket protocol error";
      case errc::ws_upgrade_rejected: return "WebSocket upgrade rejected by the server";
      case errc::ws_bad_request: return "bad WebSocket upgrade request";
      case errc::handshake_timeout: return "handshake timed out";
      case errc::tls_failed: return "TLS failure";
    }
    return "unknown error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& kmr_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace kmr

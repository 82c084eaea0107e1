// SPDX-License-Identifier: MIT
#include "app/connection_log.hpp"

#include "app/session_steps.hpp"
#include "core/log.hpp"

#include <array>
#include <string>

namespace kmr::app {

void log_connection_end(const connection& c) noexcept {
  if (!log::enabled(log::level::info)) return;
  try {
    const std::string peer = c.peer.to_string();
    const std::string remote = remote_text(c);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
    // Milliseconds are plenty for a duration in a log line, and keep it short.
    const double duration = static_cast<double>(static_cast<std::int64_t>(seconds * 1000.0)) / 1000.0;
    const std::array<log::field, 8> fields = {{
        {"id", c.id},
        {"peer", std::string_view(peer)},
        {"remote", std::string_view(remote)},
        {"transport", transport_name(*c.runtime)},
        {"duration", duration},
        {"bytes_up", c.traffic.bytes[0]},
        {"bytes_down", c.traffic.bytes[1]},
        {"end", metrics::to_string(c.ending)},
    }};
    log::write_event(log::level::info, "connection ended", fields);
  } catch (...) {
    // Out of memory while logging: drop the line, never the process.
  }
}

}  // namespace kmr::app

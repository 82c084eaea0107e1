// SPDX-License-Identifier: MIT
// The typed configuration of one tunnel process, built from the addresses and the
// option string, with every value checked at start-up (never later, never by abort).
#pragma once

#include "core/expected.hpp"
#include "core/log.hpp"
#include "opt/address.hpp"
#include "opt/plugin_options.hpp"

#include <chrono>
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

struct tunnel_config {
  side role = side::client;
  host_port listen;
  host_port remote;
  unsigned threads = 1;
  log::level log_level = log::level::info;
  relay_limits limits;
  // Items that were ignored (unknown keys, e.g. "mux=0" meant for another plugin).
  std::vector<std::string> ignored_items;
};

// Checks every option; the error names the first offending option.
expected<tunnel_config, option_error> make_config(side role, host_port listen, host_port remote,
                                                  const plugin_options& options);

// "[plain]" today; "[ws][tls][plain]" once the layers exist, as the original prints.
std::string layer_label(const tunnel_config& config);

}  // namespace kmr::opt

// SPDX-License-Identifier: MIT
// SIP003 plugin mode: a shadowsocks host passes the addresses and options in SS_*
// variables. Reading them is pure: the environment comes in as a lookup function.
#pragma once

#include "core/expected.hpp"
#include "opt/address.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kmr::opt {

// Returns the variable's value, or nullopt if it is not set. Wraps getenv in production.
using env_lookup = std::function<std::optional<std::string>(const char* name)>;
env_lookup process_environment();

struct sip003_env {
  host_port local;      // SS_LOCAL_HOST : SS_LOCAL_PORT
  // SS_REMOTE_HOST : SS_REMOTE_PORT. As an extension, SS_REMOTE_HOST may list hosts
  // ("a.example,b.example") that share the port: several remotes, for kaminaric only.
  std::vector<host_port> remotes;
  std::string options;  // SS_PLUGIN_OPTIONS; empty when the variable is missing
};

// nullopt when none of the four address variables is set (not a plugin). An error naming
// the variable when only some are set or one is invalid, e.g.
// "SS_LOCAL_PORT: missing" or "SS_REMOTE_PORT: '99999' is not a port (0-65535)".
expected<std::optional<sip003_env>, std::string> read_sip003_env(const env_lookup& lookup);

}  // namespace kmr::opt

// SPDX-License-Identifier: MIT
#include "opt/sip003_env.hpp"

#include <array>
#include <cstdlib>
#include <type_traits>
#include <utility>

namespace kmr::opt {
namespace {

// The order in which a missing variable is reported: the first one missing is named.
constexpr std::array<const char*, 4> address_vars = {"SS_LOCAL_HOST", "SS_LOCAL_PORT",
                                                     "SS_REMOTE_HOST", "SS_REMOTE_PORT"};

// Validates SS_*_HOST and SS_*_PORT with `read` (one host, or a list); the error names the
// variable that is wrong. The port is checked on its own first so that a bad port is
// never blamed on the host.
template <class Read>
auto read_pair(const char* host_var, const std::string& host, const char* port_var, const std::string& port,
               Read read) -> std::remove_cvref_t<decltype(read(host, port))> {
  if (auto p = parse_port(port); !p) return unexpected(std::string(port_var) + ": " + p.error());
  auto value = read(host, port);
  if (!value) return unexpected(std::string(host_var) + ": " + value.error());
  return value;
}

}  // namespace

env_lookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    // Copied at once: getenv's pointer is only valid until the environment changes.
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

expected<std::optional<sip003_env>, std::string> read_sip003_env(const env_lookup& lookup) {
  using result = std::optional<sip003_env>;
  if (!lookup) return result{};
  std::array<std::optional<std::string>, 4> values;
  bool any = false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = lookup(address_vars[i]);
    any = any || values[i].has_value();
  }
  // Not launched as a plugin: the caller falls back to the command line.
  if (!any) return result{};
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) return unexpected(std::string(address_vars[i]) + ": missing");
  }
  auto local = read_pair(address_vars[0], *values[0], address_vars[1], *values[1], make_host_port);
  if (!local) return unexpected(std::move(local).error());
  auto remotes = read_pair(address_vars[2], *values[2], address_vars[3], *values[3], make_host_port_list);
  if (!remotes) return unexpected(std::move(remotes).error());
  // Unlike the original, a missing SS_PLUGIN_OPTIONS means "no options", not "not a
  // plugin": some hosts leave it unset when the user configured none.
  sip003_env env{std::move(*local), std::move(*remotes),
                 lookup("SS_PLUGIN_OPTIONS").value_or(std::string())};
  return result{std::move(env)};
}

}  // namespace kmr::opt

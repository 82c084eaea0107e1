// SPDX-License-Identifier: MIT
#include "opt/command_line.hpp"

#include "opt/option_help.hpp"

#include <fmt/core.h>

namespace kmr::opt {
namespace {

bool is_help(const std::string& a) { return a == "-h" || a == "--help"; }
bool is_version(const std::string& a) { return a == "-V" || a == "--version"; }

unexpected<usage_error> usage_failure(std::string message, bool show_usage) {
  return unexpected(usage_error{std::move(message), show_usage});
}

expected<cli_request, usage_error> from_positional(std::span<const std::string> args) {
  if (args.size() == 1 && is_help(args[0])) return cli_request{show_help{}};
  if (args.size() == 1 && is_version(args[0])) return cli_request{show_version{}};
  if (args.size() != 3)
    return usage_failure(fmt::format("expected 3 arguments, got {}", args.size()), true);
  auto listen = parse_host_port(args[0]);
  if (!listen) return usage_failure(fmt::format("local address '{}': {}", args[0], listen.error()), false);
  auto remotes = parse_host_port_list(args[1]);
  if (!remotes) return usage_failure(fmt::format("remote address '{}': {}", args[1], remotes.error()), false);
  return cli_request{run_tunnel{std::move(*listen), std::move(*remotes), args[2], false}};
}

}  // namespace

expected<cli_request, usage_error> parse_command_line(side role, std::span<const std::string> args,
                                                      const env_lookup& env) {
  // Help first: it must work whatever the environment holds.
  if (args.size() == 1 && is_help(args[0])) return cli_request{show_help{}};

  auto sip003 = read_sip003_env(env);
  if (sip003 && sip003->has_value()) {
    // Plugin hosts may pass "-V" (Android's VPN mode) or nothing; the variables win,
    // as in the original.
    auto& e = **sip003;
    // The server is the public end: it listens where the host says the remote is
    // (SS_REMOTE_*) and forwards to the host's own port (SS_LOCAL_*).
    if (role == side::server) {
      if (e.remotes.size() > 1)
        return usage_failure("SS_REMOTE_HOST: kaminaris listens on one host; a list of hosts is for kaminaric", false);
      return cli_request{run_tunnel{e.remotes.front(), {e.local}, e.options, true}};
    }
    return cli_request{run_tunnel{e.local, e.remotes, e.options, true}};
  }
  if (!sip003 && args.size() != 3)  // a plugin host set some SS_* variables, but not right
    return usage_failure(sip003.error(), false);
  return from_positional(args);
}

std::string program_name(side role) { return role == side::client ? "kaminaric" : "kaminaris"; }

std::string short_usage(side role) {
  return fmt::format("usage: {} <local_addr> <remote_addr> <options>\n"
                     "       {} -h | --help | -V | --version\n",
                     program_name(role), program_name(role));
}

std::string help_text(side role) {
  const bool client = role == side::client;
  std::string text = short_usage(role);
  text += client ? "\nAccepts TCP connections on <local_addr> and carries each one to a kaminaris at "
                   "<remote_addr>.\n"
                 : "\nAccepts tunnel connections from kaminaric on <local_addr> and forwards each one "
                   "to <remote_addr>.\n";
  text +=
      "Addresses: 1.2.3.4:80, [::1]:80 or name:443. Names are resolved for each new connection\n"
      "(cached for a few seconds) and every address is tried in turn. <remote_addr> may be a\n"
      "comma-separated list, a:443,b:443, used as balance= and backoff= say.\n"
      "\n"
      "<options> is one string of ';'-separated items, 'key=value' or flags; escape ';', '='\n"
      "and '\\' with a backslash. An empty string means plain TCP.\n"
      "\n";
  // The options come from the table (option_table.hpp), like the docs' tables.
  text += options_help();
  text +=
      "\n"
      "Signals: SIGTERM and SIGINT stop (after the drain, with drain=; a second one at once);\n"
      "SIGHUP reloads the TLS files without cutting a connection (docs/operations.md).\n"
      "\n"
      "As a shadowsocks SIP003 plugin, the addresses and options come from SS_LOCAL_HOST,\n"
      "SS_LOCAL_PORT, SS_REMOTE_HOST, SS_REMOTE_PORT and SS_PLUGIN_OPTIONS. For kaminaric,\n"
      "SS_REMOTE_HOST may list hosts that share SS_REMOTE_PORT (a.example,b.example).\n"
      "See docs/options.md for the full reference.\n";
  return text;
}

}  // namespace kmr::opt

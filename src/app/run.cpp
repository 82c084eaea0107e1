// SPDX-License-Identifier: MIT
#include "app/run.hpp"

#include "app/runtime.hpp"
#include "app/service.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "net/nofile.hpp"
#include "opt/command_line.hpp"
#include "sys/listen_fds.hpp"

#include <csignal>
#include <cstdio>
#include <vector>

namespace kmr::app {
namespace {

expected<opt::tunnel_config, int> load_config(opt::side role, const opt::run_tunnel& request) {
  const auto name = opt::program_name(role);
  auto options = opt::plugin_options::parse(request.options);
  if (!options) {
    log::error("{}: options: {}", name, options.error().message);
    return unexpected(exit_usage_error);
  }
  auto config = opt::make_config(role, request.listen, request.remotes, *options);
  if (!config) {
    log::error("{}: option '{}': {}", name, config.error().key, config.error().message);
    return unexpected(exit_usage_error);
  }
  return std::move(*config);
}

}  // namespace

int run_program(opt::side role, int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const auto name = opt::program_name(role);
  auto request = opt::parse_command_line(role, args, opt::process_environment());
  if (!request) {
    log::error("{}: {}", name, request.error().message);
    if (request.error().show_usage) std::fputs(opt::short_usage(role).c_str(), stderr);
    return exit_usage_error;
  }
  if (std::holds_alternative<opt::show_help>(*request)) {
    std::fputs(opt::help_text(role).c_str(), stdout);
    return exit_ok;
  }
  if (std::holds_alternative<opt::show_version>(*request)) {
    std::printf("%s %s\n", name.c_str(), kmr::version);
    return exit_ok;
  }

  auto config = load_config(role, std::get<opt::run_tunnel>(*request));
  if (!config) return config.error();
  log::set_level(config->log_level);
  log::set_format(config->log_format);

  auto first = make_runtime(*config);
  if (!first) {
    log::error("{}: option '{}': {}", name, first.error().key, first.error().message);
    return exit_usage_error;
  }
  // Taken (and the variables cleared) before anything else could inherit them.
  auto inherited = sys::take_listen_fds();
  if (!inherited) {
    log::error("{}: socket activation: {}", name, inherited.error());
    return exit_runtime_error;
  }

  std::signal(SIGPIPE, SIG_IGN);  // a peer that vanished must cost a write error, not the process
  net::raise_nofile_limit();
  return serve(std::move(*first), *inherited);
}

}  // namespace kmr::app

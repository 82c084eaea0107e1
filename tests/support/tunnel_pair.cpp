// SPDX-License-Identifier: MIT
#include "support/tunnel_pair.hpp"

#include <cstdlib>
#include <stdexcept>

namespace kmr::test {

started_binary await_listening(std::unique_ptr<child_process> process) {
  started_binary b;
  auto line = process->wait_for_message("listen: ", after(startup_budget));
  if (!line) {
    throw std::runtime_error("no \"listen: \" line within the start-up budget\n" + process->diagnostics());
  }
  b.listen = *line;
  b.port = port_of(*line);
  if (b.port == 0) throw std::runtime_error("cannot read a port from \"listen: " + *line + "\"\n" + process->diagnostics());
  b.process = std::move(process);
  return b;
}

started_binary start_binary(const std::string& path, const std::string& listen, const std::string& remote,
                            const std::string& options, const env_list& env) {
  return await_listening(std::make_unique<child_process>(path, std::vector<std::string>{listen, remote, options}, env));
}

namespace {

// KMR_TEST_LOG=debug (or another level) runs both children at that log level, so that a
// failure's diagnostics (their stderr) tell which side ended a connection, and why.
std::string with_test_log_level(const std::string& options) {
  const char* level = std::getenv("KMR_TEST_LOG");
  if (level == nullptr || *level == '\0') return options;
  return options + ";log=" + level;
}

}  // namespace

tunnel_pair::tunnel_pair(const tunnel_config& config)
    : host_(config.host),
      server_(start_binary(server_bin, address_text(host_, 0), config.remote,
                           with_test_log_level(config.server_options))),
      client_(start_binary(client_bin, address_text(host_, 0), address_text(host_, server_.port),
                           with_test_log_level(config.client_options))) {}

std::string tunnel_pair::diagnostics() const {
  return "--- kaminaric\n" + client_.process->diagnostics() + "\n--- kaminaris\n" + server_.process->diagnostics();
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "support/tunnel_pair.hpp"

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

tunnel_pair::tunnel_pair(const tunnel_config& config)
    : host_(config.host),
      server_(start_binary(server_bin, address_text(host_, 0), config.remote, config.server_options)),
      client_(start_binary(client_bin, address_text(host_, 0), address_text(host_, server_.port),
                           config.client_options)) {}

std::string tunnel_pair::diagnostics() const {
  return "--- kaminaric\n" + client_.process->diagnostics() + "\n--- kaminaris\n" + server_.process->diagnostics();
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// Both product binaries started as a chain on loopback: app -> kaminaric -> kaminaris ->
// remote. Each is ready once it has printed its "listen: " banner line.
#pragma once

#include "support/child_process.hpp"
#include "support/socket_fd.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace kmr::test {

inline const std::string client_bin = KMR_CLIENT_BIN;
inline const std::string server_bin = KMR_SERVER_BIN;

// How long a binary may take to print its "listen: " line. Sanitized builds start slower.
#ifdef KMR_SANITIZED
inline constexpr auto startup_budget = std::chrono::seconds(20);
#else
inline constexpr auto startup_budget = std::chrono::seconds(5);
#endif

// A started binary and the address its banner reported.
struct started_binary {
  std::unique_ptr<child_process> process;
  std::string listen;  // as printed: "127.0.0.1:41234" or "[::1]:41234"
  std::uint16_t port = 0;
};

// Starts `path listen remote options` and waits for its "listen: " line. Throws
// std::runtime_error with the child's stderr if the line does not come in time.
started_binary start_binary(const std::string& path, const std::string& listen, const std::string& remote,
                            const std::string& options, const env_list& env = {});

// Waits for an already spawned binary's "listen: " line, as above.
started_binary await_listening(std::unique_ptr<child_process> process);

struct tunnel_config {
  std::string remote{};          // where kaminaris forwards, e.g. loopback_server::address()
  std::string client_options{};  // kaminaric's option string
  std::string server_options{};  // kaminaris's option string
  std::string host = "127.0.0.1";  // numeric; where both listen ("::1" for IPv6)
};

class tunnel_pair {
 public:
  // Starts kaminaris (host:0 -> remote), then kaminaric (host:0 -> the server's port).
  // With KMR_TEST_LOG=<level> (e.g. debug) in the environment, both log at that level.
  explicit tunnel_pair(const tunnel_config& config);

  const std::string& host() const noexcept { return host_; }  // connect here, to client_port()
  std::uint16_t client_port() const noexcept { return client_.port; }
  std::uint16_t server_port() const noexcept { return server_.port; }
  child_process& client() { return *client_.process; }
  child_process& server() { return *server_.process; }

  // Both children's commands, statuses and stderr.
  std::string diagnostics() const;

 private:
  std::string host_;
  started_binary server_;
  started_binary client_;
};

}  // namespace kmr::test

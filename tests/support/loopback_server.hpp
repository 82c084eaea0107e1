// SPDX-License-Identifier: MIT
// In-process TCP servers on loopback, run by Asio on a background thread, standing in
// for "the remote" behind the tunnel: an echo server and a few scripted half-close peers.
#pragma once

#include "support/deadline.hpp"
#include "support/payload.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kmr::test {

enum class server_mode {
  echo,             // echo every byte; after the peer's EOF, shut down our write side
  read_then_reply,  // read the request to EOF, then send the reply and close
  reply_then_read,  // send the reply and shut down our write side first, then read to EOF
  hold_silent,      // read to EOF, then keep the connection open without writing
};

struct server_config {
  std::string host = "127.0.0.1";  // numeric: "127.0.0.1" or "::1"
  server_mode mode = server_mode::echo;
  std::size_t reply_bytes = 0;  // the reply modes send make_payload(reply_bytes, reply_seed)
  std::uint64_t reply_seed = 0;
};

// What one session read from its peer before its read side ended.
struct session_record {
  digest received;
  bool clean_eof = false;  // false: a reset or another error ended the read side
};

class loopback_server {
 public:
  // Listens on host:0 and serves until destroyed. Handles any number of concurrent
  // connections (one coroutine each). Throws std::runtime_error if it cannot listen.
  explicit loopback_server(server_config config = {});
  ~loopback_server();  // stops the thread; open connections are closed
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  std::uint16_t port() const noexcept;
  std::string address() const;  // "127.0.0.1:41234" or "[::1]:41234"

  std::size_t accepted() const noexcept;
  // Waits until at least `count` connections have been accepted; false at the deadline.
  bool wait_accepted(std::size_t count, deadline d) const;

  // Waits until at least `count` sessions have ended their read side; their records in
  // the order they ended, or nullopt at the deadline.
  std::optional<std::vector<session_record>> wait_records(std::size_t count, deadline d) const;

  struct shared;  // opaque; public so the session coroutines can name it

 private:
  std::unique_ptr<shared> shared_;
};

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// UDP on loopback for the uot tests: an echo server on its own thread (the remote behind
// kaminaris), a connected client socket with deadlines, and a descriptor count of a
// process (to see that expired flows give their sockets back).
#pragma once

#include "support/deadline.hpp"
#include "support/socket_fd.hpp"

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kmr::test {

using datagram = std::vector<std::uint8_t>;

// Echoes every datagram (zero-length ones too) to its sender until destroyed.
class udp_echo_server {
 public:
  explicit udp_echo_server(const std::string& host = "127.0.0.1");  // numeric host, port 0
  ~udp_echo_server();
  udp_echo_server(const udp_echo_server&) = delete;
  udp_echo_server& operator=(const udp_echo_server&) = delete;

  std::uint16_t port() const noexcept;
  std::string address() const;  // "127.0.0.1:41234"
  std::size_t echoed() const noexcept;
  // The distinct source ports seen so far: one per kaminaris flow (its connected socket).
  std::vector<std::uint16_t> source_ports() const;

  struct shared;  // opaque; public so the receive coroutine can name it

 private:
  std::unique_ptr<shared> shared_;
};

// A UDP socket bound to host:0 and connected to host:port, so only that peer's
// datagrams arrive. Throws std::runtime_error if it cannot be set up.
class udp_client {
 public:
  udp_client(const std::string& host, std::uint16_t port);

  int fd() const noexcept { return fd_.get(); }
  std::uint16_t local_port() const;

  bool send(std::span<const std::uint8_t> payload);  // false if the kernel refused it
  // The next datagram (possibly empty), or nullopt at the deadline.
  std::optional<datagram> receive(deadline d);
  // A datagram waiting now, without blocking.
  std::optional<datagram> try_receive();

 private:
  socket_fd fd_;
};

// Deterministic content for datagram `seq` of flow `flow`: its first 8 bytes say which.
datagram numbered_datagram(std::uint32_t flow, std::uint32_t seq, std::size_t size);

// The number of open descriptors of a process (entries of /proc/<pid>/fd), or -1.
int open_descriptors(pid_t pid);
// What they are, one "fd -> target" per line, for assertion messages.
std::string describe_descriptors(pid_t pid);

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// An owned POSIX socket descriptor, plus the loopback addresses tests use.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>

namespace kmr::test {

class socket_fd {
 public:
  socket_fd() = default;
  explicit socket_fd(int fd) noexcept : fd_(fd) {}
  ~socket_fd() { reset(); }
  socket_fd(socket_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_fd& operator=(socket_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// A numeric IPv4 or IPv6 host ("127.0.0.1", "::1") and port as a sockaddr. Throws
// std::invalid_argument for anything else: tests never resolve names themselves.
struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const noexcept { return storage.ss_family; }
};
socket_address make_address(const std::string& host, std::uint16_t port);

// "127.0.0.1:80" or "[::1]:80": the address text the product's command line takes.
std::string address_text(const std::string& host, std::uint16_t port);

// The local port a bound socket got.
std::uint16_t local_port(int fd);

// A port on `host` that nothing listens on right now: bound to port 0, then closed, so
// connecting to it is refused. Another process could take it, but on a test machine
// that race is rare and only makes a test fail, never pass wrongly.
std::uint16_t unused_port(const std::string& host = "127.0.0.1");

// A listening socket on host:port (0 = any free port), without SO_REUSEPORT, so nobody
// else can bind the same port while it lives. Throws std::runtime_error on failure.
socket_fd listen_on(const std::string& host, std::uint16_t port = 0);

// Raises this process's open-file soft limit to at least `wanted` (or the hard limit),
// for tests that open hundreds of connections; the children inherit it.
void raise_open_file_limit(std::uint64_t wanted);

// True if an IPv6 socket can bind ::1 here (some containers have no IPv6 loopback).
bool ipv6_loopback_available();

}  // namespace kmr::test

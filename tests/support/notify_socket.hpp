// SPDX-License-Identifier: MIT
// systemd's side of sd_notify(3) for tests: an AF_UNIX datagram socket bound in a fresh
// temporary directory, whose path a child gets as NOTIFY_SOCKET, and what it receives.
#pragma once

#include "support/deadline.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kmr::test {

class notify_socket {
 public:
  notify_socket();   // throws std::runtime_error if it cannot bind
  ~notify_socket();  // closes the socket and removes the directory
  notify_socket(const notify_socket&) = delete;
  notify_socket& operator=(const notify_socket&) = delete;

  const std::string& path() const noexcept { return path_; }  // the value for NOTIFY_SOCKET

  // The next datagram, or nullopt at the deadline.
  std::optional<std::string> receive(deadline d);
  // The next datagram that is not just "WATCHDOG=1" (those are counted and dropped).
  std::optional<std::string> receive_except_watchdog(deadline d);
  std::size_t watchdogs_dropped() const noexcept { return watchdogs_; }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::size_t watchdogs_ = 0;
};

// A notification's newline-separated assignments: "READY=1\nSTATUS=up" gives
// {READY: 1, STATUS: up}. A line without '=' maps to "" under the whole line.
std::map<std::string, std::string> notify_fields(std::string_view message);

}  // namespace kmr::test

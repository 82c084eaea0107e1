// SPDX-License-Identifier: MIT
#include "support/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace kmr::test {

notify_socket::notify_socket() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kmr-notify-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("notify_socket: mkdtemp failed");
  dir_ = pattern;
  path_ = dir_ + "/notify";
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path_.size() >= sizeof a.sun_path) throw std::runtime_error("notify_socket: path too long: " + path_);
  std::memcpy(a.sun_path, path_.c_str(), path_.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error(std::string("notify_socket: bind ") + path_ + ": " + std::strerror(errno));
}

notify_socket::~notify_socket() {
  if (fd_ >= 0) ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::optional<std::string> notify_socket::receive(deadline d) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, poll_timeout_ms(d)) == 0 && clock::now() >= d) return std::nullopt;
  }
}

std::optional<std::string> notify_socket::receive_except_watchdog(deadline d) {
  // Bounded by count too: keep-alives could come faster than they are read.
  for (std::size_t i = 0; i < 100'000; ++i) {
    auto message = receive(d);  // what is queued comes back even after the deadline
    if (!message || *message != "WATCHDOG=1") return message;
    ++watchdogs_;
  }
  return std::nullopt;
}

std::map<std::string, std::string> notify_fields(std::string_view message) {
  std::map<std::string, std::string> fields;
  while (!message.empty()) {
    const auto end = message.find('\n');
    const auto line = message.substr(0, end);
    const auto eq = line.find('=');
    if (!line.empty()) {
      if (eq == std::string_view::npos) fields[std::string(line)] = "";
      else fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    message.remove_prefix(end + 1);
  }
  return fields;
}

}  // namespace kmr::test

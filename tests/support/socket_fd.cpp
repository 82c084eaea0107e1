// SPDX-License-Identifier: MIT
#include "support/socket_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace kmr::test {

void socket_fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

socket_address make_address(const std::string& host, std::uint16_t port) {
  socket_address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("not a numeric IP address: " + host);
  }
  return a;
}

std::string address_text(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::uint16_t local_port(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) return 0;
  if (s.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&s)->sin_port);
  if (s.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&s)->sin6_port);
  return 0;
}

namespace {

socket_fd bound_socket(const std::string& host, std::uint16_t port) {
  const socket_address a = make_address(host, port);
  socket_fd fd(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0)
    throw std::runtime_error("bind " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

std::uint16_t unused_port(const std::string& host) {
  const socket_fd fd = bound_socket(host, 0);
  return local_port(fd.get());
}

socket_fd listen_on(const std::string& host, std::uint16_t port) {
  socket_fd fd = bound_socket(host, port);
  if (::listen(fd.get(), 128) != 0) throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
  return fd;
}

void raise_open_file_limit(std::uint64_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= wanted) return;
  lim.rlim_cur = std::min<rlim_t>(wanted, lim.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

bool ipv6_loopback_available() {
  try {
    return static_cast<bool>(bound_socket("::1", 0));
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace kmr::test

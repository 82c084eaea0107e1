// SPDX-License-Identifier: MIT
#include "support/tcp_client.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace kmr::test {

namespace {

// Waits for `events` on fd; false on timeout.
bool wait_for(int fd, short events, deadline d) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, poll_timeout_ms(d));
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

}  // namespace

socket_fd try_connect_tcp(const std::string& host, std::uint16_t port, deadline d, int& error) {
  const socket_address a = make_address(host, port);
  socket_fd fd(::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  error = 0;
  if (!fd) {
    error = errno;
    return fd;
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0) {
    if (errno != EINPROGRESS) {
      error = errno;
    } else if (!wait_for(fd.get(), POLLOUT, d)) {
      error = ETIMEDOUT;
    } else {
      socklen_t len = sizeof error;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
    }
  }
  if (error != 0) fd.reset();
  return fd;
}

socket_fd connect_tcp(const std::string& host, std::uint16_t port, deadline d) {
  int error = 0;
  socket_fd fd = try_connect_tcp(host, port, d, error);
  if (fd) return fd;
  const std::string where = host + ":" + std::to_string(port);
  if (error == ETIMEDOUT) throw std::runtime_error("connect " + where + ": timed out");
  throw std::runtime_error("connect " + where + ": " + std::strerror(error));
}

bool send_all(int fd, std::span<const std::uint8_t> bytes, deadline d) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, d)) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool shutdown_write(int fd) { return ::shutdown(fd, SHUT_WR) == 0; }

const char* to_string(stream_end e) {
  switch (e) {
    case stream_end::eof: return "eof";
    case stream_end::reset: return "reset";
    case stream_end::timeout: return "timeout";
    case stream_end::error: return "error";
  }
  return "?";
}

read_result read_to_end(int fd, deadline d) {
  std::vector<std::uint8_t> buf(64 * 1024);
  digest_builder digest;
  read_result result;
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n > 0) {
      digest.update({buf.data(), static_cast<std::size_t>(n)});
      continue;
    }
    if (n == 0) {
      result.end = stream_end::eof;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_for(fd, POLLIN, d)) continue;
      result.end = stream_end::timeout;
    } else {
      result.end = errno == ECONNRESET ? stream_end::reset : stream_end::error;
    }
    break;
  }
  result.received = digest.finish();
  return result;
}

std::optional<std::vector<std::uint8_t>> read_exact(int fd, std::size_t n, deadline d) {
  std::vector<std::uint8_t> out(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLIN, d)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

exchange_result exchange(int fd, std::span<const std::uint8_t> payload, deadline d) {
  exchange_result result;
  std::thread sender([&] { result.sent = send_all(fd, payload, d) && shutdown_write(fd); });
  result.reply = read_to_end(fd, d);
  sender.join();
  return result;
}

bool wait_readable(int fd, deadline d) { return wait_for(fd, POLLIN, d); }

}  // namespace kmr::test

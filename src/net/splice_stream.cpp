// SPDX-License-Identifier: MIT
#include "net/splice_stream.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace kmr::net {
namespace {

error_code last_error() noexcept { return {errno, asio::error::get_system_category()}; }

}  // namespace

splice_read splice_socket_to_pipe(int socket_fd, int pipe_write, std::size_t max) noexcept {
  for (;;) {
    const ssize_t n = ::splice(socket_fd, nullptr, pipe_write, nullptr, max,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) return splice_read::moved_bytes(static_cast<std::size_t>(n));
    if (n == 0) return splice_read::just(splice_read::kind::end_of_stream);
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return splice_read::just(splice_read::kind::would_block);
    return splice_read::failure(last_error());
  }
}

awaitable<error_code> splice_pipe_to_socket(int pipe_read, tcp::socket& to, std::size_t n) {
  while (n > 0) {
    const ssize_t m = ::splice(pipe_read, nullptr, to.native_handle(), nullptr, n,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m > 0) {
      n -= static_cast<std::size_t>(m);
      continue;
    }
    if (m < 0 && errno == EINTR) continue;
    if (m < 0 && errno == EAGAIN) {
      auto [ec] = co_await to.async_wait(tcp::socket::wait_write, nothrow);
      if (ec) co_return ec;
      continue;
    }
    // EPIPE, ECONNRESET, EBADF after a close... (0: the pipe ran dry, which cannot be)
    co_return m < 0 ? last_error() : error_code(asio::error::broken_pipe);
  }
  co_return error_code{};
}

awaitable<error_code> send_all_more(tcp::socket& to, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t m = ::send(to.native_handle(), bytes.data(), bytes.size(),
                             MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL);
    if (m > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(m));
      continue;
    }
    if (m < 0 && errno == EINTR) continue;
    if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto [ec] = co_await to.async_wait(tcp::socket::wait_write, nothrow);
      if (ec) co_return ec;
      continue;
    }
    co_return last_error();
  }
  co_return error_code{};
}

bool write_to_pipe(int pipe_write, std::span<const std::byte> bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t m = ::write(pipe_write, bytes.data(), bytes.size());
    if (m > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(m));
      continue;
    }
    if (m < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
#include "net/splice_pump.hpp"

#include "net/pipe_pool.hpp"

#include <fcntl.h>

#include <cerrno>

namespace kmr::net {
namespace {

// As much as a default pipe holds: one splice in, one (or a few) out.
constexpr std::size_t splice_chunk = 64 * 1024;

// Moves `pending` bytes from the pipe to the socket, waiting when the socket is full.
awaitable<bool> drain(const pipe_fds& pipe, tcp_stream& to, std::size_t pending) {
  const int out = to.socket().native_handle();
  while (pending > 0) {
    const ssize_t m = ::splice(pipe.read, nullptr, out, nullptr, pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m > 0) {
      pending -= static_cast<std::size_t>(m);
      continue;
    }
    if (m < 0 && errno == EINTR) continue;
    if (m < 0 && errno == EAGAIN) {
      auto [ec] = co_await to.socket().async_wait(tcp::socket::wait_write, nothrow);
      if (ec) co_return false;
      continue;
    }
    co_return false;  // EPIPE, ECONNRESET, EBADF after a close...
  }
  co_return true;
}

}  // namespace

awaitable<void> splice_pump(tcp_stream& from, tcp_stream& to, relay_watch& watch) {
  error_code ignored;
  // The kernel's splice from a socket waits unless the socket itself is non-blocking.
  from.socket().non_blocking(true, ignored);
  to.socket().non_blocking(true, ignored);
  pipe_lease pipe;
  for (;;) {
    if (!pipe.acquire()) break;  // no descriptor for a pipe: fail this connection only
    const int in = from.socket().native_handle();
    const ssize_t n = ::splice(in, nullptr, pipe.fds().write, nullptr, splice_chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      watch.touch();
      pipe.set_empty(false);
      if (!co_await drain(pipe.fds(), to, static_cast<std::size_t>(n))) break;
      pipe.set_empty(true);
      continue;
    }
    if (n == 0) {
      co_await to.send_end_of_stream();
      watch.direction_ended(true);
      co_return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) break;
    pipe.give_back();  // idle: the pipe goes back to the pool while we wait
    auto [ec] = co_await from.socket().async_wait(tcp::socket::wait_read, nothrow);
    if (ec) break;
  }
  watch.direction_ended(false);
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// Plain TCP as a relay stream: the innermost layer of every transport.
//
// The relay stream concept (what net::relay and the ws/tls layers need of a stream):
//   awaitable<error_code> wait_readable();
//       Returns when read_some has something to give (data, end of stream or an error),
//       so a relay can borrow its buffer only then.
//   awaitable<std::tuple<error_code, std::size_t>> read_some(std::span<std::byte> buf);
//       Some bytes of the stream's payload, or asio::error::eof at its end.
//   awaitable<error_code> write(chunk c);
//       All of c.payload. A layer may frame it in place: it may change the payload bytes
//       and use up to c.headroom bytes in front of them (kept free by the caller), so a
//       header and its payload leave in one write, without a copy.
//   awaitable<void> send_end_of_stream();
//       Half-close: the peer reads end of stream, while this side can still read.
//   void abort() noexcept;
//       The next close sends a reset, so the peer learns it was an error.
//   void close() noexcept;
//       Closes at once: pending operations complete with an error, and so do later ones.
//   tcp::socket& socket() noexcept;
//       The innermost plain socket.
// Streams over a plain socket may also offer the zero-copy operations of
// net/splice_stream.hpp.
#pragma once

#include "core/asio.hpp"
#include "net/socket_options.hpp"
#include "net/splice_stream.hpp"

#include <cstddef>
#include <span>
#include <tuple>

namespace kmr::net {

// A payload to write, with `headroom` writable bytes right in front of it.
struct chunk {
  std::span<std::byte> payload;
  std::size_t headroom = 0;
};

class tcp_stream {
 public:
  explicit tcp_stream(tcp::socket s) : socket_(std::move(s)) {}

  awaitable<error_code> wait_readable() {
    auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, nothrow);
    co_return ec;
  }

  awaitable<std::tuple<error_code, std::size_t>> read_some(std::span<std::byte> buf) {
    co_return co_await socket_.async_read_some(asio::buffer(buf.data(), buf.size()), nothrow);
  }

  awaitable<error_code> write(chunk c) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(c.payload.data(), c.payload.size()),
                                              nothrow);
    co_return ec;
  }

  awaitable<void> send_end_of_stream() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }

  void abort() noexcept { reset_on_close(socket_); }

  void close() noexcept {
    error_code ignored;
    socket_.close(ignored);
  }

  // Zero-copy (net/splice_stream.hpp): the socket's bytes are the payload.
  awaitable<splice_read> splice_out(int pipe_write, std::size_t max) {
    co_return splice_socket_to_pipe(socket_.native_handle(), pipe_write, max);
  }
  bool accepts_spliced() const noexcept { return true; }
  awaitable<error_code> splice_in(int pipe_read, std::size_t n) {
    return splice_pipe_to_socket(pipe_read, socket_, n);
  }

  tcp::socket& socket() noexcept { return socket_; }

 private:
  tcp::socket socket_;
};

}  // namespace kmr::net

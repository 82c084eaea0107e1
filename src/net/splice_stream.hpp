// SPDX-License-Identifier: MIT
// The optional, zero-copy part of the relay stream concept (net/tcp_stream.hpp). A stream
// that is a splice source can move its payload into a pipe without it entering user
// space; a splice sink can send payload that waits in a pipe. When both ends of a relay
// direction can, net/splice_pump.hpp moves the bytes socket → pipe → socket in the kernel.
//
//   awaitable<splice_read> splice_out(int pipe_write, std::size_t max);
//       Puts up to `max` payload bytes into the (empty) pipe without waiting for the
//       socket; may answer copy_needed when the next bytes must be transformed (a masked
//       WebSocket frame), and the relay then copies one chunk with read_some.
//   bool accepts_spliced() const;
//       Whether splice_in may be used (a WebSocket client that masks with a real key
//       must transform the payload, so it cannot).
//   awaitable<error_code> splice_in(int pipe_read, std::size_t n);
//       Sends exactly the n payload bytes waiting in the pipe (framing them if needed).
#pragma once

#include "core/asio.hpp"

#include <concepts>
#include <cstddef>
#include <span>

namespace kmr::net {

struct splice_read {
  enum class kind { moved, would_block, end_of_stream, copy_needed, failed };
  kind what = kind::would_block;
  std::size_t bytes = 0;  // moved: how many now wait in the pipe
  error_code error;       // failed: why

  static splice_read just(kind k) noexcept { return {k, 0, {}}; }
  static splice_read moved_bytes(std::size_t n) noexcept { return {kind::moved, n, {}}; }
  static splice_read failure(error_code ec) noexcept { return {kind::failed, 0, ec}; }
};

template <class S>
concept splice_source = requires(S& s, int fd, std::size_t n) {
  { s.splice_out(fd, n) } -> std::same_as<awaitable<splice_read>>;
};

template <class S>
concept splice_sink = requires(S& s, const S& cs, int fd, std::size_t n) {
  { s.splice_in(fd, n) } -> std::same_as<awaitable<error_code>>;
  { cs.accepts_spliced() } -> std::same_as<bool>;
};

// The system calls under both, for streams whose innermost layer is a plain socket.

// splice(2) socket → pipe, non-blocking: moved, would_block, end_of_stream or failed.
splice_read splice_socket_to_pipe(int socket_fd, int pipe_write, std::size_t max) noexcept;

// Moves exactly n bytes pipe → socket, waiting whenever the socket is full.
awaitable<error_code> splice_pipe_to_socket(int pipe_read, tcp::socket& to, std::size_t n);

// Sends all of `bytes` with MSG_MORE, so they leave in one segment with what follows
// (a frame header, then its spliced payload), waiting whenever the socket is full.
awaitable<error_code> send_all_more(tcp::socket& to, std::span<const std::byte> bytes);

// Writes small already-read payload bytes into the pipe (it has room: the caller
// keeps it far from full); false if the pipe took fewer.
bool write_to_pipe(int pipe_write, std::span<const std::byte> bytes) noexcept;

}  // namespace kmr::net

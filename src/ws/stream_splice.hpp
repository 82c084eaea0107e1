// SPDX-License-Identifier: MIT
// The zero-copy members of ws::stream (included by ws/stream.hpp; not a header of its
// own). Over plain TCP, the payload of a frame that needs no unmasking goes socket →
// pipe → socket with splice(2): the reader reads only frame headers itself, and the
// writer sends a header, then splices the payload behind it. This is what lets ws run at
// plain-splice speed (issue 6 §3). Anything else — a masked frame, control frames in
// bulk, bytes that came with the handshake — is left to the copying read_some.
#pragma once

#include "ws/stream.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace kmr::ws {

// Headers, control frames and small masked payloads are read into a small buffer: one
// header read takes up to a whole header, and the payload that comes with it is written
// into the pipe. Beyond this size a masked payload is cheaper to copy in bulk.
inline constexpr std::size_t splice_small_read = 256;
// Small reads per splice_out before handing over to read_some: a run of tiny frames is
// copied in bulk rather than read a header at a time.
inline constexpr int splice_small_reads_max = 2;

template <class Next>
awaitable<net::splice_read> stream<Next>::splice_out(int pipe_write, std::size_t max)
  requires over_plain_tcp
{
  using kind = net::splice_read::kind;
  using expect = frame_reader::expectation::kind;
  if (!pending_input_.empty()) co_return net::splice_read::just(kind::copy_needed);
  const int fd = next_.socket().native_handle();
  std::size_t moved = 0;
  for (int small_reads = 0;;) {
    const auto next = frames_.expecting();
    if (next.what == expect::ended) {
      if (moved > 0) break;  // deliver what came before the Close first
      if (frames_.closed()) co_return net::splice_read::just(kind::end_of_stream);
      co_return net::splice_read::failure(errc::ws_protocol_error);
    }
    if (next.what == expect::verbatim) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(next.payload_left, max - moved));
      const net::splice_read r = net::splice_socket_to_pipe(fd, pipe_write, want);
      if (r.what != kind::moved) {
        if (moved > 0) break;
        co_return r;
      }
      frames_.skip_verbatim(r.bytes);
      moved += r.bytes;
      break;  // one splice per call: the pipe then holds at most one chunk
    }
    if (small_reads == splice_small_reads_max ||
        (next.what == expect::unmasked_by_next && next.payload_left > splice_small_read)) {
      if (moved > 0) break;
      co_return net::splice_read::just(kind::copy_needed);
    }
    ++small_reads;
    const std::size_t want = next.what == expect::header
                                 ? max_header_size
                                 : static_cast<std::size_t>(std::min<std::uint64_t>(next.payload_left, splice_small_read));
    std::array<std::byte, splice_small_read> small;
    const ssize_t n = ::recv(fd, small.data(), want, MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      if (moved > 0) break;
      if (n == 0) co_return net::splice_read::just(kind::end_of_stream);
      if (errno == EAGAIN || errno == EWOULDBLOCK) co_return net::splice_read::just(kind::would_block);
      co_return net::splice_read::failure(error_code(errno, asio::error::get_system_category()));
    }
    std::size_t payload = 0;
    const auto ec = decode(std::span(small).first(static_cast<std::size_t>(n)), payload);
    if (ec) co_return net::splice_read::failure(ec);
    if (payload > 0) {
      if (!net::write_to_pipe(pipe_write, std::span(small).first(payload)))
        co_return net::splice_read::failure(asio::error::broken_pipe);
      moved += payload;
    }
    if (pong_pending_ && !write_busy_) {
      if (const auto pong_ec = co_await send_pong()) co_return net::splice_read::failure(pong_ec);
    }
  }
  co_return net::splice_read::moved_bytes(moved);
}

template <class Next>
awaitable<error_code> stream<Next>::splice_in(int pipe_read, std::size_t n)
  requires over_plain_tcp
{
  co_await wait_write_idle();
  frame_header h{.fin = true, .op = opcode::binary, .mask = std::nullopt, .payload_len = n};
  if (role_ == role::client) h.mask = next_key();  // the zero key: accepts_spliced()
  std::array<std::byte, max_header_size> header{};
  const std::size_t header_len = encode_header(h, header);
  write_busy_ = true;
  auto ec = co_await net::send_all_more(next_.socket(), std::span(header).first(header_len));
  if (!ec) ec = co_await net::splice_pipe_to_socket(pipe_read, next_.socket(), n);
  write_busy_ = false;
  if (!ec && pong_pending_) ec = co_await send_pong();
  write_idle_.cancel();
  co_return ec;
}

}  // namespace kmr::ws

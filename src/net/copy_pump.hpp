// SPDX-License-Identifier: MIT
// One relay direction through user space: read a chunk into a buffer borrowed from the
// thread's pool, write it on. Every transport can do this; net/splice_pump.hpp does
// better where both ends can, and falls back to copy_chunk for what it cannot move.
#pragma once

#include "core/asio.hpp"
#include "net/buffer_pool.hpp"
#include "net/relay_watch.hpp"
#include "net/tcp_stream.hpp"

#include <cstddef>

namespace kmr::net {

// Room kept free in front of every chunk read, so a framing layer can put its header
// there (a WebSocket header is at most 14 bytes; 16 keeps the payload aligned).
inline constexpr std::size_t relay_headroom = 16;
inline constexpr std::size_t relay_buffer_size = buffer_pool::buffer_size - relay_headroom;

enum class chunk_result { filled, drained, end_of_stream, failed };

// Reads once from `from` (waiting if it must) and writes what came to `to`, counted in
// `direction` (relay_watch::moved). `filled`: the read filled the buffer, so more is
// probably waiting; `drained`: it did not.
template <class From, class To>
awaitable<chunk_result> copy_chunk(From& from, To& to, buffer_lease& buffer, relay_watch& watch,
                                   std::size_t direction) {
  const auto payload_area = buffer.get().subspan(relay_headroom);
  auto [read_ec, n] = co_await from.read_some(payload_area);
  if (n > 0) {
    if (const auto write_ec = co_await to.write({payload_area.first(n), relay_headroom}))
      co_return chunk_result::failed;
    watch.moved(direction, n);  // counted once written: what reached the other side
  }
  if (read_ec == asio::error::eof) co_return chunk_result::end_of_stream;
  if (read_ec) co_return chunk_result::failed;
  co_return n < payload_area.size() ? chunk_result::drained : chunk_result::filled;
}

// The source ended cleanly: the half-close goes on to `to`.
template <class To>
awaitable<void> pass_end_of_stream(To& to, relay_watch& watch) {
  co_await to.send_end_of_stream();
  watch.direction_ended(true);
}

// Copies one direction until end of stream or error. The buffer is borrowed only while
// the source has data: after a read that did not fill it, it goes back before the wait.
template <class From, class To>
awaitable<void> copy_pump(From& from, To& to, relay_watch& watch, std::size_t direction) {
  buffer_lease buffer;
  for (;;) {
    if (const auto ec = co_await from.wait_readable()) break;
    const chunk_result r = co_await copy_chunk(from, to, buffer, watch, direction);
    if (r == chunk_result::end_of_stream) {
      co_await pass_end_of_stream(to, watch);
      co_return;
    }
    if (r == chunk_result::failed) break;
    if (r == chunk_result::drained) buffer.release();  // idle connections hold none
  }
  watch.direction_ended(false);
}

}  // namespace kmr::net

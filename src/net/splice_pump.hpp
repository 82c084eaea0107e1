// SPDX-License-Identifier: MIT
// One relay direction without copying through user space, for streams over plain
// sockets (net/splice_stream.hpp): the source moves payload from its socket into a pipe
// with splice(2), the sink sends it from the pipe into its socket, all inside the kernel.
// Plain TCP does this for every byte; WebSocket without TLS for the payload of frames
// that need no unmasking (kaminari's zero mask key, and every server frame), reading only
// the small headers itself. What a source cannot move (a masked frame, bytes that came
// with the handshake) goes through copy_chunk, one chunk at a time.
#pragma once

#include "net/copy_pump.hpp"
#include "net/pipe_pool.hpp"
#include "net/splice_stream.hpp"

namespace kmr::net {

template <class From, class To>
  requires splice_source<From> && splice_sink<To>
awaitable<void> splice_pump(From& from, To& to, relay_watch& watch, std::size_t direction) {
  using kind = splice_read::kind;
  // The kernel's splice from a socket waits unless the socket itself is non-blocking.
  // (Asio remembers the mode, so the other direction's pump asks no system call.)
  error_code ignored;
  if (!from.socket().non_blocking()) from.socket().non_blocking(true, ignored);
  if (!to.socket().non_blocking()) to.socket().non_blocking(true, ignored);
  pipe_lease pipe;
  for (;;) {
    if (!pipe.acquire()) break;  // no descriptor for a pipe: fail this connection only
    const splice_read r = co_await from.splice_out(pipe.fds().write, pipe.fds().capacity);
    if (r.what == kind::moved) {
      watch.touch();
      pipe.set_empty(false);
      if (const auto ec = co_await to.splice_in(pipe.fds().read, r.bytes)) break;
      pipe.set_empty(true);
      watch.moved(direction, r.bytes);
      continue;
    }
    if (r.what == kind::end_of_stream) {
      co_await pass_end_of_stream(to, watch);
      co_return;
    }
    if (r.what == kind::failed) break;
    pipe.give_back();  // empty: back to the pool while we wait or copy
    if (r.what == kind::would_block) {
      if (const auto ec = co_await from.wait_readable()) break;
      continue;
    }
    buffer_lease buffer;  // copy_needed: one chunk the slow way
    const chunk_result c = co_await copy_chunk(from, to, buffer, watch, direction);
    if (c == chunk_result::end_of_stream) {
      co_await pass_end_of_stream(to, watch);
      co_return;
    }
    if (c == chunk_result::failed) break;
  }
  watch.direction_ended(false);
}

}  // namespace kmr::net

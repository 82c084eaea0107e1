// SPDX-License-Identifier: MIT
// Steps both sides of a session share: naming the peer, connecting out with logging,
// the handshake deadline, and the relay with its buffers.
#pragma once

#include "app/peer_name.hpp"
#include "app/session.hpp"
#include "core/deadline.hpp"
#include "core/log.hpp"
#include "net/relay.hpp"

#include <sys/socket.h>

#include <memory>
#include <string>
#include <tuple>
#include <type_traits>

namespace kmr::app {

// Resolves and connects to `where`, trying each address; a failure is logged (at most once
// a second per worker) with the connection's id.
awaitable<std::tuple<error_code, tcp::socket>> connect_logged(connection& c, const opt::host_port& where);

// Connects to the remote: with a list (balance=), tries the worker's candidates in turn
// until one connects, setting aside those that fail for backoff=. Sets c.remote to the
// one used. Only when all fail is the connection ended connect_failed (or
// connect_timeout). With one remote this is connect_logged itself, at no extra cost.
awaitable<std::tuple<error_code, tcp::socket>> connect_to_remote(connection& c);

// The remote a connection uses, for log lines: the one it connected to, or before that
// (or when all failed) the whole list.
std::string remote_text(const connection& c);

// Runs a handshake step under the configured handshake deadline. On expiry the socket is
// shut down in both directions, which makes the step fail at its next read or write. The
// socket is named by its descriptor, taken before the step was created: the step owns
// the socket object by then. Not a coroutine (one frame fewer per handshake): the
// deadline's coroutine keeps all it needs by value.
template <class T>
awaitable<deadline_result<T>> within_handshake_deadline(awaitable<T> step, const connection& c, int fd) {
  return with_deadline(std::move(step), c.config().handshake_timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
}

// How a relay's end counts in kaminari_connections_ended_total.
metrics::end_reason reason_of(net::relay_end end) noexcept;

// Records how a session's relay ended. Callers await net::relay themselves: a coroutine
// wrapping relay and this line cost a frame per connection and side (160 bytes held for
// the connection's life, heaptrack).
inline void finish_relay(connection& c, net::relay_end end) {
  c.end(reason_of(end));
  log::debug("#{} {}: {}", c.id, c.peer, net::describe(end));
}

}  // namespace kmr::app

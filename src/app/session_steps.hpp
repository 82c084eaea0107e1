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
// a second per worker) with the session id.
awaitable<std::tuple<error_code, tcp::socket>> connect_logged(session_context& ctx, const opt::host_port& where,
                                                              std::uint64_t id, const peer_name& peer);

// Runs a handshake step under the configured handshake deadline. On expiry the socket is
// shut down in both directions, which makes the step fail at its next read or write. The
// socket is named by its descriptor, taken before the step was created: the step owns
// the socket object by then. Not a coroutine (one frame fewer per handshake): the
// deadline's coroutine keeps all it needs by value.
template <class T>
awaitable<deadline_result<T>> within_handshake_deadline(awaitable<T> step, const session_context& ctx, int fd) {
  return with_deadline(std::move(step), ctx.config.handshake_timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
}

// Relays between two streams and logs how it ended.
template <class A, class B>
awaitable<void> relay_logged(A& a, B& b, const session_context& ctx, std::uint64_t id, const peer_name& peer) {
  const auto end = co_await net::relay(a, b, ctx.config.limits);
  log::debug("#{} {}: {}", id, peer, net::describe(end));
}

}  // namespace kmr::app

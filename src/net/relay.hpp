// SPDX-License-Identifier: MIT
// The bidirectional copy at the heart of the tunnel: two pumps (one per direction) and a
// watchdog, in one coroutine. Half-close is carried across (EOF on one side becomes
// end-of-stream on the other), an error on either side ends both, and the watchdog ends
// connections that stay idle too long or linger half-closed.
//
// Streams are template parameters so the loop is monomorphic per transport: a stream type
// S needs async_read_some, async_write_some, and the overloads send_end_of_stream(S&) and
// abort_on_close(S&) found by argument-dependent lookup or in kmr::net.
#pragma once

#include "core/asio.hpp"
#include "net/socket_options.hpp"
#include "opt/config.hpp"

#include <time.h>

#include <chrono>
#include <cstddef>
#include <span>

namespace kmr::net {

// --- plain TCP as a relay stream ---

// Sends a FIN; the read side stays open so the reply can still arrive.
inline awaitable<void> send_end_of_stream(tcp::socket& s) {
  error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
  co_return;
}
inline void abort_on_close(tcp::socket& s) noexcept { reset_on_close(s); }

// --- the relay ---

enum class relay_end { completed, failed, idle_timeout, half_close_timeout };
const char* describe(relay_end e) noexcept;

// The monotonic clock at the kernel tick's resolution: cheap enough to read per chunk,
// precise enough (a few ms) for timeouts counted in seconds. Same epoch as steady_clock.
inline std::chrono::steady_clock::time_point coarse_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) +
                                               std::chrono::nanoseconds(ts.tv_nsec));
}

// State shared by the two pumps and the watchdog of one connection (one thread).
class relay_watch {
 public:
  relay_watch(asio::any_io_executor ex, const opt::relay_limits& limits)
      : wakeup_(std::move(ex)), idle_limit_(limits.idle_timeout),
        half_close_limit_(limits.half_close_timeout) {}

  void touch() noexcept { last_activity_ = coarse_now(); }
  void direction_ended(bool cleanly) noexcept {
    if (!cleanly) failed_ = true;
    ++ended_;
    wakeup_.cancel();  // the watchdog re-evaluates: half-closed now, or failed
  }
  bool failed() const noexcept { return failed_; }

  // Returns when the connection must end early; cancelled when the pumps finish first.
  awaitable<relay_end> watch();

 private:
  asio::steady_timer wakeup_;
  std::chrono::milliseconds idle_limit_;
  std::chrono::milliseconds half_close_limit_;
  std::chrono::steady_clock::time_point last_activity_ = coarse_now();
  int ended_ = 0;
  bool failed_ = false;
};

// Copies one direction until EOF or error. On EOF, signals end-of-stream to `to`.
template <class From, class To>
awaitable<void> pump(From& from, To& to, std::span<std::byte> buf, relay_watch& watch) {
  co_await asio::this_coro::throw_if_cancelled(false);
  for (;;) {
    auto [read_ec, n] = co_await from.async_read_some(asio::buffer(buf.data(), buf.size()), nothrow);
    if (n > 0) {
      watch.touch();
      auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(buf.data(), n), nothrow);
      if (write_ec) break;
    }
    if (read_ec == asio::error::eof) {
      co_await send_end_of_stream(to);
      watch.direction_ended(true);
      co_return;
    }
    if (read_ec) break;
  }
  watch.direction_ended(false);
}

inline constexpr std::size_t relay_buffer_size = 16 * 1024;

// Relays until both directions have ended, one fails, or the watchdog fires. On failure
// both streams are set to reset on close, so each peer learns it was an error.
template <class A, class B>
awaitable<relay_end> relay(A& a, B& b, std::span<std::byte> a_to_b, std::span<std::byte> b_to_a,
                           const opt::relay_limits& limits) {
  using namespace asio::experimental::awaitable_operators;
  relay_watch watch(co_await asio::this_coro::executor, limits);
  auto outcome = co_await ((pump(a, b, a_to_b, watch) && pump(b, a, b_to_a, watch)) || watch.watch());
  const relay_end end = outcome.index() == 1 ? std::get<1>(outcome)
                        : watch.failed()     ? relay_end::failed
                                             : relay_end::completed;
  if (end == relay_end::failed) {
    abort_on_close(a);
    abort_on_close(b);
  }
  co_return end;
}

}  // namespace kmr::net

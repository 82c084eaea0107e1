// SPDX-License-Identifier: MIT
// A deadline for one awaited operation: if it has not finished in time, `on_expiry`
// runs (it must make the operation finish, typically by closing its socket). The timer's
// handler is always waited for, so it can never touch a socket that has moved on.
#pragma once

#include "core/asio.hpp"
#include "core/completion_latch.hpp"

#include <chrono>
#include <utility>

namespace kmr {

template <class T>
struct deadline_result {
  T value;
  bool expired = false;  // on_expiry ran: the operation's outcome is the forced one
};

template <class T, class OnExpiry>
awaitable<deadline_result<T>> with_deadline(awaitable<T> operation, std::chrono::milliseconds limit,
                                            OnExpiry on_expiry) {
  const auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex, limit);
  completion_latch timer_done(ex, 1);
  bool expired = false;
  timer.async_wait([&](const error_code& ec) {
    if (!ec) {
      expired = true;
      on_expiry();
    }
    timer_done.arrive();
  });
  T value = co_await std::move(operation);
  timer.cancel();
  co_await timer_done.wait();
  co_return deadline_result<T>{std::move(value), expired};
}

}  // namespace kmr

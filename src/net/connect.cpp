// SPDX-License-Identifier: MIT
#include "net/connect.hpp"

namespace kmr::net {

awaitable<std::tuple<error_code, tcp::socket>> connect_first(const endpoints& candidates,
                                                             std::chrono::milliseconds per_attempt) {
  using namespace asio::experimental::awaitable_operators;
  const auto ex = co_await asio::this_coro::executor;
  error_code last = asio::error::host_not_found;
  for (const auto& ep : candidates) {
    tcp::socket sock(ex);
    asio::steady_timer deadline(ex, per_attempt);
    // Whichever finishes first cancels the other.
    auto outcome = co_await (sock.async_connect(ep, nothrow) || deadline.async_wait(nothrow));
    if (outcome.index() == 1) {
      last = asio::error::timed_out;
      continue;
    }
    auto [ec] = std::get<0>(outcome);
    if (!ec) co_return std::tuple{error_code{}, std::move(sock)};
    last = ec;
  }
  co_return std::tuple{last, tcp::socket(ex)};
}

}  // namespace kmr::net

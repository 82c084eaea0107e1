// SPDX-License-Identifier: MIT
#include "net/connect.hpp"

#include "core/deadline.hpp"

namespace kmr::net {
namespace {

awaitable<std::tuple<error_code>> connect_one(tcp::socket& sock, tcp::endpoint ep) {
  co_return co_await sock.async_connect(ep, nothrow);
}

}  // namespace

awaitable<std::tuple<error_code, tcp::socket>> connect_first(const endpoints& candidates,
                                                             std::chrono::milliseconds per_attempt) {
  const auto ex = co_await asio::this_coro::executor;
  error_code last = asio::error::host_not_found;
  for (const auto& ep : candidates) {
    tcp::socket sock(ex);
    auto outcome = co_await with_deadline(connect_one(sock, ep), per_attempt, [&sock] {
      error_code ignored;
      sock.close(ignored);  // completes the pending connect with operation_aborted
    });
    auto [ec] = outcome.value;
    if (outcome.expired) ec = asio::error::timed_out;
    if (!ec) co_return std::tuple{error_code{}, std::move(sock)};
    last = ec;
  }
  co_return std::tuple{last, tcp::socket(ex)};
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
// connect_to_remote: the walk over a list of remotes in the worker's order (remote_choice).
#include "app/session_steps.hpp"

namespace kmr::app {
namespace {

using clock = remote_choice::clock;

// A coroutine of its own, so that a single remote never pays for its frame or its list.
awaitable<std::tuple<error_code, tcp::socket>> connect_to_one_of(connection& c) {
  const auto& config = c.config();
  auto& order = c.worker.remote_order;
  // connect_logged ends the connection connect_failed at each failure; once one remote
  // works, that must not stick (a step after the connect may end it otherwise, or not).
  const auto ending_before = c.ending;
  const auto candidates = order.candidates(config.remotes.size(), config.balance, clock::now());
  error_code ec;
  for (const std::size_t i : candidates) {
    const opt::host_port& where = config.remotes[i];
    auto [attempt_ec, socket] = co_await connect_logged(c, where);
    if (!attempt_ec) {
      order.succeeded(i);
      c.end(ending_before);
      c.remote = &where;
      log::debug("#{} {}: remote {} (item {} of {})", c.id, c.peer, where.to_string(), i + 1, config.remotes.size());
      co_return std::tuple{attempt_ec, std::move(socket)};
    }
    ec = attempt_ec;
    order.failed(i, clock::now(), config.backoff);
    log::debug("#{} {}: remote {} set aside for {}ms", c.id, c.peer, where.to_string(), config.backoff.count());
  }
  co_return std::tuple{ec, tcp::socket(co_await asio::this_coro::executor)};
}

}  // namespace

// Not a coroutine: with one remote it hands back connect_logged's own awaitable.
awaitable<std::tuple<error_code, tcp::socket>> connect_to_remote(connection& c) {
  const auto& remotes = c.config().remotes;
  if (remotes.size() > 1) return connect_to_one_of(c);
  c.remote = &remotes.front();
  return connect_logged(c, remotes.front());
}

std::string remote_text(const connection& c) {
  return c.remote != nullptr ? c.remote->to_string() : opt::to_string(c.config().remotes);
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "net/resolver.hpp"

#include "core/report_exception.hpp"

#include <algorithm>
#include <optional>

namespace kmr::net {
namespace {

std::optional<tcp::endpoint> literal_endpoint(const opt::host_port& where) {
  error_code ec;
  const auto addr = asio::ip::make_address(where.host, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(addr, where.port);
}

endpoints to_endpoints(const tcp::resolver::results_type& results) {
  endpoints out;
  for (const auto& r : results) out.push_back(r.endpoint());
  return out;
}

// getaddrinfo, off the event loop. Its own resolver object per look-up: it lives in the
// look-up's frame, so nothing it touches can go away while it runs.
awaitable<resolve_result> system_lookup(const opt::host_port& where) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] =
      co_await resolver.async_resolve(where.host, std::to_string(where.port), tcp::resolver::numeric_service, nothrow);
  if (ec) co_return resolve_result{ec, {}};
  auto addresses = to_endpoints(results);
  if (addresses.empty()) co_return resolve_result{asio::error::host_not_found, {}};
  co_return resolve_result{error_code{}, std::move(addresses)};
}

}  // namespace

// The callers waiting for one look-up each wait on a timer of their own (their limit);
// the answer cancels them all, which wakes them early.
struct resolver_cache::pending {
  bool finished = false;
  resolve_result answer;
  std::vector<asio::steady_timer*> waiters;

  void finish(resolve_result result) {
    answer = std::move(result);
    finished = true;
    for (auto* w : waiters) w->cancel();
    waiters.clear();
  }
};

resolver_cache::resolver_cache(asio::any_io_executor ex, resolver_ttls ttls, lookup_function lookup)
    : ex_(std::move(ex)), ttls_(ttls), lookup_(lookup ? std::move(lookup) : lookup_function(system_lookup)) {}

std::shared_ptr<resolver_cache::pending> resolver_cache::start(const std::string& key, const opt::host_port& where) {
  auto p = std::make_shared<pending>();
  in_flight_.emplace(key, p);
  ++lookups_started_;
  // Holds only the look-up's own state: it may finish after every caller gave up.
  asio::co_spawn(
      ex_, [](lookup_function lookup, opt::host_port what, std::shared_ptr<pending> state) -> awaitable<void> {
        state->finish(co_await lookup(what));
      }(lookup_, where, p),
      [](std::exception_ptr e) {
        if (e) report_exception("resolver", e);
      });
  return p;
}

void resolver_cache::remember(const std::string& key, const resolve_result& answer) {
  const auto ttl = std::get<0>(answer) ? ttls_.failure : ttls_.answer;
  if (ttl.count() > 0) cache_[key] = entry{answer, std::chrono::steady_clock::now() + ttl};
}

awaitable<resolve_result> resolver_cache::resolve(const opt::host_port& where, std::chrono::milliseconds limit) {
  if (auto ep = literal_endpoint(where)) co_return resolve_result{error_code{}, endpoints{*ep}};

  const auto key = where.to_string();
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (it->second.expires > std::chrono::steady_clock::now()) co_return it->second.answer;
    cache_.erase(it);
  }

  std::shared_ptr<pending> p;
  if (auto it = in_flight_.find(key); it != in_flight_.end()) p = it->second;
  else p = start(key, where);

  if (!p->finished) {
    asio::steady_timer limit_timer(ex_, limit);
    p->waiters.push_back(&limit_timer);
    co_await limit_timer.async_wait(nothrow);
    std::erase(p->waiters, &limit_timer);
  }
  if (!p->finished) co_return resolve_result{asio::error::timed_out, {}};
  // The first caller back (or the next one, if all gave up) files the answer.
  if (auto it = in_flight_.find(key); it != in_flight_.end() && it->second == p) {
    in_flight_.erase(it);
    remember(key, p->answer);
  }
  co_return p->answer;
}

std::tuple<error_code, endpoints> resolve_now(const opt::host_port& where) {
  if (auto ep = literal_endpoint(where)) return {error_code{}, endpoints{*ep}};
  asio::io_context ctx;
  tcp::resolver resolver(ctx);
  error_code ec;
  auto results = resolver.resolve(where.host, std::to_string(where.port),
                                  tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec) return {ec, {}};
  auto addresses = to_endpoints(results);
  if (addresses.empty()) return {asio::error::host_not_found, {}};
  return {error_code{}, std::move(addresses)};
}

}  // namespace kmr::net

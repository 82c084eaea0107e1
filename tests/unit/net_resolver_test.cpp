// SPDX-License-Identifier: MIT
// The resolver cache with a stand-in look-up whose answer the test releases: concurrent
// callers share one look-up, failures are remembered, and a caller's limit is kept even
// when the look-up hangs.
#include "net/resolver.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

namespace kmr::net {
namespace {

using namespace std::chrono_literals;

// A look-up that waits until the test releases it, then answers with `answer`.
struct held_lookup {
  explicit held_lookup(asio::io_context& io) : release(io, asio::steady_timer::time_point::max()) {}

  asio::steady_timer release;
  resolve_result answer{error_code{}, endpoints{tcp::endpoint(asio::ip::make_address("192.0.2.1"), 443)}};
  int calls = 0;

  lookup_function function() {
    return [this](const opt::host_port&) -> awaitable<resolve_result> {
      ++calls;
      co_await release.async_wait(nothrow);
      co_return answer;
    };
  }
};

const opt::host_port name{"tunnel.example", 443};

// Runs handlers until `done` holds (a timer may have to expire first), for 10 s at most.
template <class Predicate>
void run_until(asio::io_context& io, Predicate done) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < give_up) io.run_one_for(10ms);
  io.restart();
}

// Starts `n` resolves of `name`; their results land in `results` as they finish.
void start_callers(asio::io_context& io, resolver_cache& cache, int n, std::chrono::milliseconds limit,
                   std::vector<std::optional<resolve_result>>& results) {
  for (int i = 0; i < n; ++i) {
    results.emplace_back();
    asio::co_spawn(io, [&cache, limit, &slot = results.back()]() -> awaitable<void> {
      slot = co_await cache.resolve(name, limit);
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  }
}

TEST(ResolverCache, ConcurrentCallersShareOneLookup) {
  asio::io_context io;
  held_lookup lookup(io);
  resolver_cache cache(io.get_executor(), {}, lookup.function());
  std::vector<std::optional<resolve_result>> results;
  results.reserve(20);
  start_callers(io, cache, 20, 1h, results);
  io.poll();  // every caller is waiting now; nothing can finish before the release
  EXPECT_EQ(lookup.calls, 1);
  for (const auto& r : results) EXPECT_FALSE(r);
  lookup.release.cancel();
  io.poll();
  for (const auto& r : results) {
    ASSERT_TRUE(r);
    EXPECT_FALSE(std::get<0>(*r));
    ASSERT_EQ(std::get<1>(*r).size(), 1u);
  }
  // The answer is cached: one more caller needs no look-up.
  results.clear();
  io.restart();  // it ran out of work
  start_callers(io, cache, 1, 1h, results);
  io.poll();
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(lookup.calls, 1);
  EXPECT_EQ(cache.lookups_started(), 1u);
}

TEST(ResolverCache, AFailureIsRememberedForItsTtl) {
  asio::io_context io;
  held_lookup lookup(io);
  lookup.answer = {asio::error::host_not_found, {}};
  lookup.release.expires_at(asio::steady_timer::time_point::min());  // answers at once
  resolver_cache cache(io.get_executor(), {.answer = 1h, .failure = 1h}, lookup.function());
  std::vector<std::optional<resolve_result>> results;
  results.reserve(5);
  for (int i = 0; i < 5; ++i) {
    start_callers(io, cache, 1, 1h, results);
    run_until(io, [&] { return results.back().has_value(); });
  }
  EXPECT_EQ(lookup.calls, 1);
  for (const auto& r : results) {
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<0>(*r), asio::error::host_not_found);
  }
}

TEST(ResolverCache, WithoutAFailureTtlEveryCallerAsksAgain) {
  asio::io_context io;
  held_lookup lookup(io);
  lookup.answer = {asio::error::host_not_found, {}};
  lookup.release.expires_at(asio::steady_timer::time_point::min());
  resolver_cache cache(io.get_executor(), {.answer = 1h, .failure = 0ms}, lookup.function());
  std::vector<std::optional<resolve_result>> results;
  results.reserve(3);
  for (int i = 0; i < 3; ++i) {
    start_callers(io, cache, 1, 1h, results);
    run_until(io, [&] { return results.back().has_value(); });
  }
  EXPECT_EQ(lookup.calls, 3);
}

TEST(ResolverCache, ACallerGivesUpAtItsLimit_TheAnswerStillServesTheNext) {
  asio::io_context io;
  held_lookup lookup(io);
  resolver_cache cache(io.get_executor(), {}, lookup.function());
  std::vector<std::optional<resolve_result>> results;
  results.reserve(2);
  start_callers(io, cache, 1, 5ms, results);  // the look-up hangs past this limit
  run_until(io, [&] { return results[0].has_value(); });
  ASSERT_TRUE(results[0]);
  EXPECT_EQ(std::get<0>(*results[0]), asio::error::timed_out);
  lookup.release.cancel();  // the look-up ends later, with nobody waiting
  io.poll();
  io.restart();  // it ran out of work
  start_callers(io, cache, 1, 1h, results);
  io.poll();
  ASSERT_TRUE(results[1]);
  EXPECT_FALSE(std::get<0>(*results[1]));
  EXPECT_EQ(lookup.calls, 1);
}

TEST(ResolverCache, LiteralsNeedNoLookup) {
  asio::io_context io;
  held_lookup lookup(io);
  resolver_cache cache(io.get_executor(), {}, lookup.function());
  std::optional<resolve_result> r;
  const opt::host_port literal{"::1", 80};  // named: GCC 12 mishandles a temporary in co_await
  asio::co_spawn(io, [&]() -> awaitable<void> { r = co_await cache.resolve(literal, 1h); }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io.poll();
  ASSERT_TRUE(r);
  EXPECT_FALSE(std::get<0>(*r));
  EXPECT_EQ(lookup.calls, 0);
}

}  // namespace
}  // namespace kmr::net

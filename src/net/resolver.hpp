// SPDX-License-Identifier: MIT
// Name resolution for outgoing connections: never blocks the event loop (Asio runs
// getaddrinfo on its own thread), caches answers briefly so a burst of connections costs
// one lookup while DNS changes are still followed within seconds, and keeps a name that
// does not resolve from stalling every connection: concurrent look-ups of one name are
// one look-up, a failure is remembered for a moment, and no caller waits longer than
// its own limit (the connect timeout).
#pragma once

#include "core/asio.hpp"
#include "opt/address.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace kmr::net {

using endpoints = std::vector<tcp::endpoint>;
using resolve_result = std::tuple<error_code, endpoints>;

// How a name is looked up: getaddrinfo on Asio's resolver thread, or a stand-in in tests.
using lookup_function = std::function<awaitable<resolve_result>(const opt::host_port&)>;

struct resolver_ttls {
  std::chrono::milliseconds answer{std::chrono::seconds(5)};   // a name's addresses
  std::chrono::milliseconds failure{std::chrono::seconds(2)};  // "no such name", a DNS error
};

// One per worker thread (not thread-safe, by design: shared-nothing).
class resolver_cache {
 public:
  explicit resolver_cache(asio::any_io_executor ex, resolver_ttls ttls = {}, lookup_function lookup = {});

  // IP literals are answered at once; names go through the cache. A caller still waiting
  // after `limit` gets asio::error::timed_out (the look-up goes on, for the next caller).
  awaitable<resolve_result> resolve(const opt::host_port& where, std::chrono::milliseconds limit);

  // Look-ups started so far (for tests: how many went out).
  std::size_t lookups_started() const noexcept { return lookups_started_; }

  struct pending;  // one look-up under way; public so its coroutine can name it

 private:
  struct entry {
    resolve_result answer;
    std::chrono::steady_clock::time_point expires;
  };
  std::shared_ptr<pending> start(const std::string& key, const opt::host_port& where);
  void remember(const std::string& key, const resolve_result& answer);

  asio::any_io_executor ex_;
  resolver_ttls ttls_;
  lookup_function lookup_;
  std::unordered_map<std::string, entry> cache_;
  std::unordered_map<std::string, std::shared_ptr<pending>> in_flight_;
  std::size_t lookups_started_ = 0;
};

// Blocking resolution, for start-up only (the listen address).
std::tuple<error_code, endpoints> resolve_now(const opt::host_port& where);

}  // namespace kmr::net

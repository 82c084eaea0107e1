// SPDX-License-Identifier: MIT
// Name resolution for outgoing connections: never blocks the event loop (Asio runs
// getaddrinfo on its own thread), and caches answers briefly so a burst of connections
// costs one lookup while DNS changes are still followed within seconds.
#pragma once

#include "core/asio.hpp"
#include "opt/address.hpp"

#include <chrono>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace kmr::net {

using endpoints = std::vector<tcp::endpoint>;

// One per worker thread (not thread-safe, by design: shared-nothing).
class resolver_cache {
 public:
  explicit resolver_cache(asio::any_io_executor ex,
                          std::chrono::seconds ttl = std::chrono::seconds(5));

  // IP literals are answered at once; names go through the cache.
  awaitable<std::tuple<error_code, endpoints>> resolve(const opt::host_port& where);

 private:
  struct entry {
    endpoints addresses;
    std::chrono::steady_clock::time_point expires;
  };
  tcp::resolver resolver_;
  std::chrono::seconds ttl_;
  std::unordered_map<std::string, entry> cache_;
};

// Blocking resolution, for start-up only (the listen address).
std::tuple<error_code, endpoints> resolve_now(const opt::host_port& where);

}  // namespace kmr::net

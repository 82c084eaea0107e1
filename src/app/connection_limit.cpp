// SPDX-License-Identifier: MIT
#include "app/connection_limit.hpp"

#include "net/pipe_pool.hpp"

#include <algorithm>

namespace kmr::app {

namespace {
// What "unlimited" gives: far beyond what one process can serve, and still a number.
constexpr std::size_t unlimited_connections = 10'000'000;
constexpr std::size_t base_reserve = 64;
}  // namespace

std::size_t descriptors_per_connection(const opt::tunnel_config& c) noexcept {
  const bool may_splice = !c.tls && !c.uot;
  return may_splice ? 6 : 2;
}

std::size_t reserved_descriptors(const opt::tunnel_config& c) noexcept {
  const std::size_t idle_pipes = descriptors_per_connection(c) > 2 ? c.threads * 2 * net::pipe_pool::max_idle_pipes : 0;
  return base_reserve + idle_pipes;
}

std::size_t default_max_connections(long nofile, const opt::tunnel_config& c) noexcept {
  if (nofile < 0) return unlimited_connections;
  const auto total = static_cast<std::size_t>(nofile);
  // A small limit (ulimit -n 1024) keeps a quarter: connections are what it is for.
  const std::size_t reserve = std::min(reserved_descriptors(c), total / 4);
  if (total <= reserve) return 1;
  return std::clamp<std::size_t>((total - reserve) / descriptors_per_connection(c), 1, unlimited_connections);
}

}  // namespace kmr::app

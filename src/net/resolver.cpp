// SPDX-License-Identifier: MIT
#include "net/resolver.hpp"

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

}  // namespace

resolver_cache::resolver_cache(asio::any_io_executor ex, std::chrono::seconds ttl)
    : resolver_(std::move(ex)), ttl_(ttl) {}

awaitable<std::tuple<error_code, endpoints>> resolver_cache::resolve(const opt::host_port& where) {
  if (auto ep = literal_endpoint(where)) co_return std::tuple{error_code{}, endpoints{*ep}};

  const auto key = where.to_string();
  const auto now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(key); it != cache_.end() && it->second.expires > now)
    co_return std::tuple{error_code{}, it->second.addresses};

  auto [ec, results] = co_await resolver_.async_resolve(where.host, std::to_string(where.port),
                                                        tcp::resolver::numeric_service, nothrow);
  if (ec) co_return std::tuple{ec, endpoints{}};
  auto addresses = to_endpoints(results);
  if (addresses.empty()) co_return std::tuple{asio::error::host_not_found, endpoints{}};
  cache_[key] = entry{addresses, std::chrono::steady_clock::now() + ttl_};
  co_return std::tuple{error_code{}, std::move(addresses)};
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

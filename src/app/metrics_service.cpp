// SPDX-License-Identifier: MIT
#include "app/metrics_service.hpp"

#include "core/log.hpp"
#include "net/resolver.hpp"
#include "net/socket_options.hpp"

namespace kmr::app {

std::unique_ptr<metrics::http_endpoint> start_metrics_endpoint(asio::io_context& io, const opt::host_port& where,
                                                               metrics_report& report, const control& ctl) {
  auto [resolve_ec, addresses] = net::resolve_now(where);
  if (resolve_ec) {
    log::error("option 'metrics': cannot resolve {}: {}", where.to_string(), resolve_ec.message());
    return nullptr;
  }
  metrics::endpoint_handlers handlers{
      .metrics_text = [&report] { return report.render(); },
      .healthy = [&ctl] { return !ctl.draining(); },
  };
  auto [ec, endpoint] = metrics::http_endpoint::open(io, addresses.front(), std::move(handlers));
  if (ec) {
    log::error("option 'metrics': cannot listen on {}: {}", where.to_string(), ec.message());
    return nullptr;
  }
  endpoint->start();
  return std::move(endpoint);
}

}  // namespace kmr::app

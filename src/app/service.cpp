// SPDX-License-Identifier: MIT
#include "app/service.hpp"

#include "app/banner.hpp"
#include "app/connection_limit.hpp"
#include "net/nofile.hpp"

#include <fmt/core.h>
#include "app/control.hpp"
#include "app/listeners.hpp"
#include "app/metrics_service.hpp"
#include "core/log.hpp"
#include "net/socket_options.hpp"
#include "app/run.hpp"

#include <list>

namespace kmr::app {

int serve(runtime_ptr first, const std::vector<sys::inherited_socket>& inherited) {
  const auto& config = first->config;
  asio::io_context io(1);
  runtime_slot runtimes(first);
  std::list<worker> workers;  // list: workers are not movable (io_context)
  auto notifier = sys::service_notifier::from_environment();
  // Before the banner announces readiness and before any worker thread exists: a signal
  // sent the moment "listen:" appears must be handled, never the signal's default action.
  control ctl(io, runtimes, workers, notifier);

  // Before the workers: their flows hold slots of it until they are destroyed.
  uot::flow_budget udp_flows(config.uot ? config.uot->max_flows : 0);
  for (unsigned i = 0; i < config.threads; ++i) workers.emplace_back(runtimes, i, config.threads);
  slot_budget connections(config.max_connections ? config.max_connections
                                                 : default_max_connections(net::nofile_limit(), config));
  for (auto& w : workers) {
    w.state().udp_flows = &udp_flows;
    w.state().connections = &connections;
  }
  if (!open_listeners(workers, config, inherited)) return exit_runtime_error;
  // Before the banner: a metrics= that cannot listen ends the process before it announces
  // anything. It serves once io runs.
  metrics_report report(workers, runtimes, ctl, udp_flows);
  std::unique_ptr<metrics::http_endpoint> metrics_endpoint;
  if (config.metrics) {
    metrics_endpoint = start_metrics_endpoint(io, *config.metrics, report, ctl);
    if (!metrics_endpoint) return exit_runtime_error;
  }
  const auto bound = workers.front().bound_address();
  print_banner(*first, bound);
  if (!(config.uot && config.role == opt::side::client))  // kaminaric with uot accepts no connection
    log::info("max connections: {}{}", connections.limit(),
              config.max_connections ? "" : fmt::format(" (from the descriptor limit, {})", net::nofile_limit()));
  if (metrics_endpoint)
    log::info("metrics: http://{}/metrics", net::to_string(metrics_endpoint->local_endpoint()));

  for (auto& w : workers) w.start();
  ctl.start();
  notifier.ready("listening on " + bound);
  io.run();  // until a signal (and the drain, with drain=) ends it

  if (metrics_endpoint) metrics_endpoint->stop();
  for (auto& w : workers) w.stop();
  return exit_ok;
}

}  // namespace kmr::app

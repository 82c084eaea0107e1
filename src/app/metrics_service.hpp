// SPDX-License-Identifier: MIT
// metrics=ADDR:PORT: the Prometheus endpoint on the control thread's event loop, beside
// the signals and reloads, never on a worker: a scrape costs the data path nothing.
#pragma once

#include "app/control.hpp"
#include "app/metrics_report.hpp"
#include "metrics/http_endpoint.hpp"

#include <memory>

namespace kmr::app {

// Binds metrics=, started and serving; null after logging why it cannot listen (the
// process must then exit: an operator who asked for metrics must not run without them).
std::unique_ptr<metrics::http_endpoint> start_metrics_endpoint(asio::io_context& io, const opt::host_port& where,
                                                               metrics_report& report, const control& ctl);

}  // namespace kmr::app

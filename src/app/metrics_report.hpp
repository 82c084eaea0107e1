// SPDX-License-Identifier: MIT
// The metrics scrape: every worker's counters summed into one Prometheus text exposition
// (docs/metrics.md lists each metric). Runs on the control thread, at each GET /metrics.
#pragma once

#include "app/control.hpp"
#include "app/runtime_slot.hpp"
#include "app/worker.hpp"
#include "sys/udp_drops.hpp"
#include "uot/flow_budget.hpp"

#include <chrono>
#include <list>
#include <string>

namespace kmr::app {

class metrics_report {
 public:
  metrics_report(const std::list<worker>& workers, const runtime_slot& runtimes, const control& ctl,
                 const uot::flow_budget& udp_flows);

  // The exposition text, as of now.
  std::string render();

 private:
  const std::list<worker>& workers_;
  const runtime_slot& runtimes_;
  const control& control_;
  const uot::flow_budget& udp_flows_;
  sys::kernel_udp_drops kernel_drops_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
};

}  // namespace kmr::app

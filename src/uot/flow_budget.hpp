// SPDX-License-Identifier: MIT
// The cap on concurrent UDP flows (udp-max-flows=): the process-wide slot budget.
#pragma once

#include "core/slot_budget.hpp"

namespace kmr::uot {

using flow_budget = slot_budget;
using flow_slot = budget_slot;
using kmr::take_slot;

}  // namespace kmr::uot

// SPDX-License-Identifier: MIT
// Completion handler for co_spawn: an exception that escapes a coroutine is logged with
// its context instead of reaching io_context::run() (STYLE rule 6).
#pragma once

#include "core/log.hpp"

#include <exception>
#include <string>

namespace kmr {

inline void report_exception(const std::string& context, std::exception_ptr e) noexcept {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    log::error("{}: ended by an unexpected error: {}", context, x.what());
  } catch (...) {
    log::error("{}: ended by an unknown error", context);
  }
}

}  // namespace kmr

// SPDX-License-Identifier: MIT
// libFuzzer target: what systemd (or anyone) puts in LISTEN_PID, LISTEN_FDS,
// LISTEN_FDNAMES and WATCHDOG_USEC/WATCHDOG_PID must be accepted or refused without a
// crash, and an accepted descriptor list must be what sd_listen_fds(3) promises.
#include "sys/listen_fds.hpp"
#include "sys/sd_notify.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The input is split at NUL bytes into up to five fields; a missing field is an unset
// variable, so every combination of set and unset is reached.
std::optional<std::string_view> field(std::string_view& rest, bool& more) {
  if (!more) return std::nullopt;
  const auto nul = rest.find('\0');
  const auto out = rest.substr(0, nul);
  more = nul != std::string_view::npos;
  rest = more ? rest.substr(nul + 1) : std::string_view();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  bool more = true;
  const auto pid = field(rest, more);
  const auto fds = field(rest, more);
  const auto names = field(rest, more);
  const auto usec = field(rest, more);
  const auto watchdog_pid = field(rest, more);
  constexpr pid_t self = 4242;

  const auto passed = kmr::sys::parse_listen_env(pid, fds, names, self);
  if (passed) {
    check(passed->size() <= static_cast<std::size_t>(kmr::sys::max_listen_fds));
    int expected_fd = kmr::sys::listen_fds_start;
    for (const auto& p : *passed) check(p.fd == expected_fd++);  // 3, 4, 5, ... in order
  } else {
    check(!passed.error().empty());
  }
  const auto interval = kmr::sys::service_notifier::watchdog_interval_from_environment(usec, watchdog_pid, self);
  check(!interval || interval->count() > 0);
  return 0;
}

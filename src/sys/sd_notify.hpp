// SPDX-License-Identifier: MIT
// The systemd notify protocol (sd_notify(3)) spoken directly on NOTIFY_SOCKET, without
// libsystemd: readiness, reload, stop, status and watchdog datagrams to the manager.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string_view>

namespace kmr::sys {

// One AF_UNIX datagram socket aimed at the service manager. Inactive (every call a cheap
// no-op returning false) when there is no valid address, i.e. not run by systemd with
// Type=notify. Sending never blocks and never throws; it is safe from any thread, since
// each message is one sendto on a socket nobody reads from.
class service_notifier {
 public:
  // Inactive.
  service_notifier() noexcept = default;
  // `address` as NOTIFY_SOCKET spells it: "/run/systemd/notify" or "@abstract-name".
  // Inactive if it is neither, does not fit in sun_path, or the socket cannot be made.
  explicit service_notifier(std::string_view address) noexcept;
  // Reads NOTIFY_SOCKET (and leaves it set); inactive when it is unset, empty or invalid.
  static service_notifier from_environment() noexcept;

  ~service_notifier();
  service_notifier(service_notifier&& other) noexcept;
  service_notifier& operator=(service_notifier&& other) noexcept;
  service_notifier(const service_notifier&) = delete;
  service_notifier& operator=(const service_notifier&) = delete;

  // True if there is a socket and an address to send to.
  bool active() const noexcept;

  // Sends `message` as one datagram, as is; false if inactive or the send failed (no
  // manager listening, queue full: MSG_DONTWAIT drops rather than waits).
  bool send(std::string_view message) const noexcept;

  // "READY=1", plus "\nSTATUS=<status>" when status is not empty.
  bool ready(std::string_view status = {}) const noexcept;
  // "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>"; follow with ready() when done.
  bool reloading() const noexcept;
  // "STOPPING=1", plus "\nSTATUS=<status>" when status is not empty.
  bool stopping(std::string_view status = {}) const noexcept;
  // "WATCHDOG=1": send at least every half of watchdog_interval_from_environment().
  bool watchdog() const noexcept;
  // "STATUS=<text>", the one line `systemctl status` shows.
  bool status(std::string_view text) const noexcept;

  // WATCHDOG_USEC when it is a positive integer and WATCHDOG_PID is unset or this
  // process's pid; nullopt otherwise (no watchdog, or it watches another process).
  static std::optional<std::chrono::microseconds> watchdog_interval_from_environment() noexcept;
  // The same rule on given values (nullopt = variable unset), for tests.
  static std::optional<std::chrono::microseconds> watchdog_interval_from_environment(
      std::optional<std::string_view> watchdog_usec, std::optional<std::string_view> watchdog_pid,
      pid_t self) noexcept;

 private:
  int fd_ = -1;
  sockaddr_un address_{};
  socklen_t address_length_ = 0;  // exact for abstract names: the NUL padding would count
};

}  // namespace kmr::sys

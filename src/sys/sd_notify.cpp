// SPDX-License-Identifier: MIT
#include "sys/sd_notify.hpp"

#include "sys/decimal.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

namespace kmr::sys {
namespace {

// systemd reads notifications into a PIPE_BUF (4096) buffer and drops, whole, any
// datagram that does not fit; a long status is therefore cut rather than sent.
constexpr std::size_t max_message = 4096;

// Fills `out` from a NOTIFY_SOCKET value. Paths need room for their terminating NUL (as
// systemd's own parser demands); an abstract name's leading '@' becomes the NUL, and its
// length must be exact, since every byte of sun_path after the name would be part of it.
bool make_address(std::string_view text, sockaddr_un& out, socklen_t& length) noexcept {
  constexpr std::size_t capacity = sizeof(out.sun_path);
  constexpr std::size_t header = offsetof(sockaddr_un, sun_path);
  if (text.size() < 2) return false;
  out = sockaddr_un{};
  out.sun_family = AF_UNIX;
  if (text.front() == '/') {
    if (text.size() >= capacity || text.find('\0') != std::string_view::npos) return false;
    std::memcpy(out.sun_path, text.data(), text.size());
    length = static_cast<socklen_t>(header + text.size() + 1);
    return true;
  }
  if (text.front() == '@') {
    if (text.size() > capacity) return false;
    out.sun_path[0] = '\0';
    std::memcpy(out.sun_path + 1, text.data() + 1, text.size() - 1);
    length = static_cast<socklen_t>(header + text.size());
    return true;
  }
  return false;  // relative paths, and "vsock:" addresses we do not speak
}

// A notification assembled on the stack: sending never allocates.
class message {
 public:
  void add(std::string_view field) noexcept {
    const std::size_t n = std::min(field.size(), bytes_.size() - used_);
    std::memcpy(bytes_.data() + used_, field.data(), n);
    used_ += n;
  }

  // Newlines would start new fields ("STATUS=x\nREADY=1" from a peer's name) and a NUL
  // makes systemd drop the whole datagram, so both become spaces. Cut at a UTF-8
  // boundary if too long: systemd ignores a STATUS that is not valid UTF-8.
  void add_text(std::string_view text) noexcept {
    std::size_t n = std::min(text.size(), bytes_.size() - used_);
    if (n < text.size()) {
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const char c = text[i];
      bytes_[used_++] = (c == '\n' || c == '\0') ? ' ' : c;
    }
  }

  void add_number(std::uint64_t value) noexcept {
    char* const first = bytes_.data() + used_;
    const auto [end, ec] = std::to_chars(first, bytes_.data() + bytes_.size(), value);
    if (ec == std::errc()) used_ += static_cast<std::size_t>(end - first);
  }

  std::string_view view() const noexcept { return {bytes_.data(), used_}; }

 private:
  std::array<char, max_message> bytes_;
  std::size_t used_ = 0;
};

// "<prefix>" or "<prefix>\nSTATUS=<status>".
bool send_with_status(const service_notifier& n, std::string_view prefix,
                      std::string_view status) noexcept {
  if (!n.active()) return false;
  message m;
  m.add(prefix);
  if (!status.empty()) {
    m.add("\nSTATUS=");
    m.add_text(status);
  }
  return n.send(m.view());
}

}  // namespace

service_notifier::service_notifier(std::string_view address) noexcept {
  sockaddr_un a{};
  socklen_t length = 0;
  if (!make_address(address, a, length)) return;
  // CLOEXEC: a program we start must not be able to speak for us to the manager.
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  address_ = a;
  address_length_ = length;
}

service_notifier service_notifier::from_environment() noexcept {
  const char* value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr) return service_notifier();
  return service_notifier(std::string_view(value));
}

service_notifier::~service_notifier() {
  if (fd_ >= 0) ::close(fd_);
}

service_notifier::service_notifier(service_notifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      address_(other.address_),
      address_length_(std::exchange(other.address_length_, 0)) {}

service_notifier& service_notifier::operator=(service_notifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    address_ = other.address_;
    address_length_ = std::exchange(other.address_length_, 0);
  }
  return *this;
}

bool service_notifier::active() const noexcept { return fd_ >= 0 && address_length_ > 0; }

bool service_notifier::send(std::string_view text) const noexcept {
  if (!active()) return false;
  // MSG_NOSIGNAL: no SIGPIPE if the manager's socket is gone; MSG_DONTWAIT: a stuck
  // manager must not stall the event loop, a lost notification is the lesser harm.
  const ssize_t n = ::sendto(fd_, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&address_), address_length_);
  return n >= 0 && static_cast<std::size_t>(n) == text.size();
}

bool service_notifier::ready(std::string_view status) const noexcept {
  return send_with_status(*this, "READY=1", status);
}

bool service_notifier::reloading() const noexcept {
  if (!active()) return false;
  // Type=notify-reload (systemd >= 253) ignores a RELOADING=1 without the time it
  // started, so that a stale datagram is not taken for a new reload.
  timespec now{};
  if (::clock_gettime(CLOCK_MONOTONIC, &now) != 0) return false;
  const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
                    static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
  message m;
  m.add("RELOADING=1\nMONOTONIC_USEC=");
  m.add_number(usec);
  return send(m.view());
}

bool service_notifier::stopping(std::string_view status) const noexcept {
  return send_with_status(*this, "STOPPING=1", status);
}

bool service_notifier::watchdog() const noexcept { return send("WATCHDOG=1"); }

bool service_notifier::status(std::string_view text) const noexcept {
  if (!active()) return false;
  message m;
  m.add("STATUS=");
  m.add_text(text);
  return send(m.view());
}

std::optional<std::chrono::microseconds> service_notifier::watchdog_interval_from_environment() noexcept {
  const auto get = [](const char* name) -> std::optional<std::string_view> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string_view(v);
  };
  return watchdog_interval_from_environment(get("WATCHDOG_USEC"), get("WATCHDOG_PID"), ::getpid());
}

std::optional<std::chrono::microseconds> service_notifier::watchdog_interval_from_environment(
    std::optional<std::string_view> watchdog_usec, std::optional<std::string_view> watchdog_pid,
    pid_t self) noexcept {
  if (!watchdog_usec) return std::nullopt;
  // WATCHDOG_PID names the process the manager watches; a child that inherited the
  // variables must not think it is the one (sd_watchdog_enabled(3)).
  if (watchdog_pid) {
    const auto pid = detail::parse_decimal(*watchdog_pid);
    if (!pid || *pid == 0 || *pid != static_cast<std::uint64_t>(self)) return std::nullopt;
  }
  const auto usec = detail::parse_decimal(*watchdog_usec);
  using rep = std::chrono::microseconds::rep;
  if (!usec || *usec == 0 || *usec > static_cast<std::uint64_t>(std::numeric_limits<rep>::max()))
    return std::nullopt;
  return std::chrono::microseconds(static_cast<rep>(*usec));
}

}  // namespace kmr::sys

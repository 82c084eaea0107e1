// SPDX-License-Identifier: MIT
#include "sys/listen_fds.hpp"

#include "sys/decimal.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace kmr::sys {
namespace {

// A variable's value for an error line: quoted, at most 40 bytes, control bytes as '?'
// (the line goes to a terminal or the journal, and the value may be anything).
std::string quoted(std::string_view value) {
  constexpr std::size_t shown = 40;
  std::string out = "'";
  for (const char c : value.substr(0, shown)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  out += value.size() > shown ? "'..." : "'";
  return out;
}

unexpected<std::string> fail(std::string_view variable, std::string_view what) {
  return unexpected(std::string(variable) + ": " + std::string(what));
}

// LISTEN_FDNAMES: one name per fd, separated by ':' ("a::b" is three names, the middle
// one empty). Names are not checked further: they only label the sockets.
expected<std::vector<std::string>, std::string> split_names(std::string_view names, std::size_t count) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = names.find(':', start);
    out.emplace_back(names.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (out.size() != count) {
    const char* noun = out.size() == 1 ? " name for " : " names for ";
    return fail("LISTEN_FDNAMES",
                std::to_string(out.size()) + noun + std::to_string(count) + " descriptors in LISTEN_FDS");
  }
  return out;
}

// getsockopt for one int option; the errno on failure.
expected<int, int> int_option(int fd, int level, int option) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (::getsockopt(fd, level, option, &value, &length) != 0) return unexpected(errno);
  return value;
}

// Checks one inherited fd and marks it close-on-exec: the manager passes them without
// FD_CLOEXEC (that is how they survive its exec of us), and they must not leak further.
expected<inherited_socket, std::string> inspect(passed_fd passed) {
  const std::string which = "fd " + std::to_string(passed.fd);
  const int flags = ::fcntl(passed.fd, F_GETFD);
  if (flags < 0) return fail("LISTEN_FDS", which + " is not open");
  const auto type = int_option(passed.fd, SOL_SOCKET, SO_TYPE);
  if (!type) {
    if (type.error() == ENOTSOCK) return fail("LISTEN_FDS", which + " is not a socket");
    return fail("LISTEN_FDS", which + ": " + std::strerror(type.error()));
  }
  const auto family = int_option(passed.fd, SOL_SOCKET, SO_DOMAIN);
  const auto accepting = int_option(passed.fd, SOL_SOCKET, SO_ACCEPTCONN);
  if (!family || !accepting) return fail("LISTEN_FDS", which + ": cannot read its socket options");
  if (::fcntl(passed.fd, F_SETFD, flags | FD_CLOEXEC) != 0)
    return fail("LISTEN_FDS", which + ": cannot set FD_CLOEXEC: " + std::strerror(errno));
  return inherited_socket{passed.fd, *family, *type, *accepting != 0, std::move(passed.name)};
}

std::optional<std::string_view> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string_view(v);
}

}  // namespace

expected<std::vector<passed_fd>, std::string> parse_listen_env(
    std::optional<std::string_view> listen_pid, std::optional<std::string_view> listen_fds,
    std::optional<std::string_view> listen_fdnames, pid_t self) {
  using result = std::vector<passed_fd>;
  // As sd_listen_fds(3): without both variables nothing was passed to us.
  if (!listen_fds || !listen_pid) return result{};
  const auto pid = detail::parse_decimal(*listen_pid);
  if (!pid || *pid == 0) return fail("LISTEN_PID", quoted(*listen_pid) + " is not a process id");
  // Set for the process systemd started; we are a child that inherited them by mistake.
  if (*pid != static_cast<std::uint64_t>(self)) return result{};
  const auto count = detail::parse_decimal(*listen_fds);
  if (!count) return fail("LISTEN_FDS", quoted(*listen_fds) + " is not a number of descriptors");
  if (*count > static_cast<std::uint64_t>(max_listen_fds))
    return fail("LISTEN_FDS",
                std::to_string(*count) + " descriptors is more than " + std::to_string(max_listen_fds));
  if (*count == 0) return result{};
  const auto n = static_cast<std::size_t>(*count);
  std::vector<std::string> names(n);
  // An empty LISTEN_FDNAMES means no names, as in sd_listen_fds_with_names(3).
  if (listen_fdnames && !listen_fdnames->empty()) {
    auto split = split_names(*listen_fdnames, n);
    if (!split) return unexpected(std::move(split).error());
    names = std::move(*split);
  }
  result fds;
  fds.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    fds.push_back({listen_fds_start + static_cast<int>(i), std::move(names[i])});
  return fds;
}

expected<std::vector<inherited_socket>, std::string> take_listen_fds() {
  auto parsed = parse_listen_env(env("LISTEN_PID"), env("LISTEN_FDS"), env("LISTEN_FDNAMES"), ::getpid());
  // Unset on every path, as sd_listen_fds(1) does: the values are only ever ours once.
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!parsed) return unexpected(std::move(parsed).error());
  std::vector<inherited_socket> sockets;
  sockets.reserve(parsed->size());
  for (auto& p : *parsed) {
    auto s = inspect(std::move(p));
    if (!s) return unexpected(std::move(s).error());
    sockets.push_back(std::move(*s));
  }
  return sockets;
}

}  // namespace kmr::sys

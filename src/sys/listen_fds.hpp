// SPDX-License-Identifier: MIT
// systemd socket activation (sd_listen_fds(3)) without libsystemd: the listening sockets
// the manager passes as fds 3, 4, ... and describes in LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES.
#pragma once

#include "core/expected.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmr::sys {

inline constexpr int listen_fds_start = 3;    // SD_LISTEN_FDS_START
inline constexpr int max_listen_fds = 1000;  // more is a corrupt or hostile environment

// One descriptor the environment says we inherited, before it is looked at.
struct passed_fd {
  int fd = -1;
  std::string name;  // its LISTEN_FDNAMES entry (FileDescriptorName=); empty without one
};

// A socket inherited from the service manager, checked and marked FD_CLOEXEC. The caller
// owns the fd (e.g. hands it to an acceptor's assign()).
struct inherited_socket {
  int fd = -1;
  int family = 0;          // SO_DOMAIN: AF_INET, AF_INET6 or AF_UNIX (assign() needs it)
  int type = 0;            // SO_TYPE: SOCK_STREAM or SOCK_DGRAM (SOCK_SEQPACKET is possible)
  bool listening = false;  // SO_ACCEPTCONN: a stream socket that accept() can be called on
  std::string name;        // from LISTEN_FDNAMES, may be empty
};

// The pure part of sd_listen_fds(): values of LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES
// (nullopt = unset) and our pid -> the fds 3 .. 3+N-1 with their names. Empty, not an
// error, when LISTEN_FDS or LISTEN_PID is unset, LISTEN_PID is another process's, or
// LISTEN_FDS is 0. An error naming the variable when a number is malformed, LISTEN_FDS
// exceeds max_listen_fds, or a non-empty LISTEN_FDNAMES has not exactly LISTEN_FDS names.
expected<std::vector<passed_fd>, std::string> parse_listen_env(
    std::optional<std::string_view> listen_pid, std::optional<std::string_view> listen_fds,
    std::optional<std::string_view> listen_fdnames, pid_t self);

// Reads the real environment as parse_listen_env does, checks each fd is an open socket
// (an error naming the fd if not), marks each FD_CLOEXEC, and always unsets the three
// variables so that no program we start believes they are meant for it. Call once, early.
expected<std::vector<inherited_socket>, std::string> take_listen_fds();

}  // namespace kmr::sys

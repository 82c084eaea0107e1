// SPDX-License-Identifier: MIT
// What /proc tells about a child: its descriptors, its memory, the sockets it listens
// on, for leak checks and for proof that an inherited socket is the one in use.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <set>

namespace kmr::test {

// Entries in /proc/<pid>/fd. Throws std::runtime_error if it cannot be read.
std::size_t open_fd_count(pid_t pid);

// VmRSS from /proc/<pid>/status, in KiB. Throws std::runtime_error if it is missing.
std::uint64_t vm_rss_kib(pid_t pid);

// The inode of a socket of this process ("socket:[N]" in /proc/<pid>/fd of its holders).
std::uint64_t socket_inode(int fd);

// The inodes of the TCP sockets (IPv4 and IPv6) in the LISTEN state that `pid` holds, as
// /proc/<pid>/net/tcp{,6} list them for its network namespace.
std::set<std::uint64_t> listening_tcp_inodes(pid_t pid);

}  // namespace kmr::test

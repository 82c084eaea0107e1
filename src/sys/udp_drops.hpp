// SPDX-License-Identifier: MIT
// Datagrams the kernel dropped on this process's UDP sockets (a full receive buffer, for
// the most part), which no read of ours ever sees: /proc/net/udp and /proc/net/udp6 have
// a "drops" column per socket. Read at each metrics scrape, never on the data path.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kmr::sys {

struct udp_socket_drops {
  std::uint64_t inode = 0;
  std::uint64_t drops = 0;
};

// The rows of a /proc/net/udp or udp6 table; the header and malformed lines are skipped.
std::vector<udp_socket_drops> parse_udp_table(std::string_view table);

// The inodes of this process's sockets, from /proc/self/fd ("socket:[12345]").
std::vector<std::uint64_t> own_socket_inodes();

// A monotonic total of the kernel's drops on our sockets: each scrape adds what every
// socket dropped since the last one, so a socket that closes keeps its part of the total
// (drops between its last scrape and its close are missed; a scrape every 15 s misses few).
class kernel_udp_drops {
 public:
  std::uint64_t update();  // reads /proc now; returns the total
  std::uint64_t total() const noexcept { return total_; }

  // The step update() takes, on given tables and inodes (for tests).
  std::uint64_t add(const std::vector<udp_socket_drops>& rows, const std::vector<std::uint64_t>& ours);

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> last_;  // inode -> drops at the last scrape
  std::uint64_t total_ = 0;
};

}  // namespace kmr::sys

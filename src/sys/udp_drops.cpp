// SPDX-License-Identifier: MIT
#include "sys/udp_drops.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>

namespace kmr::sys {
namespace {

// Column positions of /proc/net/udp (net/ipv4/udp.c, udp4_format_sock): sl, local, remote,
// st, tx:rx queues, tr:tm, retrnsmt, uid, timeout, inode, ref, pointer, drops.
constexpr std::size_t inode_column = 9;
constexpr std::size_t drops_column = 12;

bool parse_u64(std::string_view s, std::uint64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<udp_socket_drops> parse_udp_table(std::string_view table) {
  std::vector<udp_socket_drops> rows;
  while (!table.empty()) {
    const auto end = table.find('\n');
    std::string_view line = table.substr(0, end);
    table = end == std::string_view::npos ? std::string_view{} : table.substr(end + 1);
    std::string_view columns[drops_column + 1];
    std::size_t n = 0;
    while (n <= drops_column) {
      const auto start = line.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      const auto stop = line.find(' ');
      columns[n++] = line.substr(0, stop);
      line = stop == std::string_view::npos ? std::string_view{} : line.substr(stop);
    }
    udp_socket_drops row;
    if (n == drops_column + 1 && parse_u64(columns[inode_column], row.inode) &&
        parse_u64(columns[drops_column], row.drops))
      rows.push_back(row);  // the header line fails here ("inode" is not a number)
  }
  return rows;
}

std::vector<std::uint64_t> own_socket_inodes() {
  std::vector<std::uint64_t> inodes;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return inodes;
  const int own_fd = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == own_fd) continue;
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    char target[64];
    const ssize_t len = ::readlink(link.c_str(), target, sizeof target);
    if (len <= 0 || len >= static_cast<ssize_t>(sizeof target)) continue;
    const std::string_view t(target, static_cast<std::size_t>(len));
    constexpr std::string_view prefix = "socket:[";
    if (!t.starts_with(prefix) || !t.ends_with(']')) continue;
    std::uint64_t inode = 0;
    if (parse_u64(t.substr(prefix.size(), t.size() - prefix.size() - 1), inode)) inodes.push_back(inode);
  }
  ::closedir(dir);
  return inodes;
}

std::uint64_t kernel_udp_drops::add(const std::vector<udp_socket_drops>& rows,
                                    const std::vector<std::uint64_t>& ours) {
  const std::unordered_set<std::uint64_t> own(ours.begin(), ours.end());
  std::unordered_map<std::uint64_t, std::uint64_t> now;
  for (const auto& row : rows) {
    if (!own.contains(row.inode)) continue;
    const auto before = last_.find(row.inode);
    const std::uint64_t seen = before == last_.end() ? 0 : before->second;
    // A counter that went down is a new socket on a recycled inode: all of it is new.
    total_ += row.drops >= seen ? row.drops - seen : row.drops;
    now[row.inode] = row.drops;
  }
  last_ = std::move(now);
  return total_;
}

std::uint64_t kernel_udp_drops::update() {
  auto rows = parse_udp_table(read_file("/proc/net/udp"));
  auto rows6 = parse_udp_table(read_file("/proc/net/udp6"));
  rows.insert(rows.end(), rows6.begin(), rows6.end());
  return add(rows, own_socket_inodes());
}

}  // namespace kmr::sys

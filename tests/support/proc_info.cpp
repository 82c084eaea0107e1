// SPDX-License-Identifier: MIT
#include "support/proc_info.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace kmr::test {
namespace {

std::string proc_dir(pid_t pid) { return "/proc/" + std::to_string(pid); }

// The socket inodes among a process's descriptors.
std::set<std::uint64_t> socket_inodes_of(pid_t pid) {
  std::set<std::uint64_t> inodes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc_dir(pid) + "/fd", ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), link_ec).string();
    if (!link_ec && target.starts_with("socket:[")) inodes.insert(std::stoull(target.substr(8)));
  }
  if (ec) throw std::runtime_error("cannot list " + proc_dir(pid) + "/fd: " + ec.message());
  return inodes;
}

}  // namespace

std::size_t open_fd_count(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(proc_dir(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  if (ec) throw std::runtime_error("cannot list " + proc_dir(pid) + "/fd: " + ec.message());
  return n;
}

std::uint64_t vm_rss_kib(pid_t pid) {
  std::ifstream status(proc_dir(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("VmRSS:")) continue;
    std::istringstream fields(line.substr(6));
    std::uint64_t kib = 0;
    if (fields >> kib) return kib;
  }
  throw std::runtime_error("no VmRSS in " + proc_dir(pid) + "/status");
}

std::uint64_t socket_inode(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::runtime_error("fstat of a socket failed");
  return st.st_ino;
}

std::set<std::uint64_t> listening_tcp_inodes(pid_t pid) {
  const auto held = socket_inodes_of(pid);
  std::set<std::uint64_t> listening;
  for (const char* table : {"/net/tcp", "/net/tcp6"}) {
    std::ifstream in(proc_dir(pid) + table);
    std::string line;
    std::getline(in, line);  // the header
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout;
      std::uint64_t inode = 0;
      if (!(f >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) continue;
      if (state == "0A" && held.count(inode) != 0) listening.insert(inode);  // 0A: TCP_LISTEN
    }
  }
  return listening;
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// A network namespace of the test's own, for tests that need a sysctl changed
// (net.ipv4.tcp_migrate_req) without touching the machine's: only the calling thread
// moves, so create it before any thread or socket the test uses; threads and children
// started afterwards from this thread are inside it.
#pragma once

#include <string>

namespace kmr::test {

class private_network {
 public:
  // unshare(CLONE_NEWNET), then `lo` up and tcp_migrate_req=1. Without the privilege
  // (EPERM) or the sysctl (a kernel before 5.14), entered() is false and reason() says
  // why, for GTEST_SKIP. Any other failure throws std::runtime_error.
  private_network();
  // Puts the thread back into the namespace it came from. Sockets and children made
  // inside stay there, so destroy this last.
  ~private_network();
  private_network(const private_network&) = delete;
  private_network& operator=(const private_network&) = delete;

  bool entered() const noexcept { return entered_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  int original_ = -1;  // the thread's namespace before, to return to
  bool entered_ = false;
  std::string reason_;
};

}  // namespace kmr::test

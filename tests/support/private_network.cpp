// SPDX-License-Identifier: MIT
#include "support/private_network.hpp"

#include "support/socket_fd.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace kmr::test {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// A new namespace has only `lo`, and it is down.
void bring_loopback_up() {
  const socket_fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw std::runtime_error(errno_text("private_network: socket"));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
    throw std::runtime_error(errno_text("private_network: SIOCGIFFLAGS lo"));
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0)
    throw std::runtime_error(errno_text("private_network: SIOCSIFFLAGS lo"));
}

// Per namespace since Linux 5.14: connections queued at a closing SO_REUSEPORT listener
// move to another listener of the group instead of being reset. False if the kernel has
// no such setting.
const char* const migrate_req = "/proc/sys/net/ipv4/tcp_migrate_req";
bool set_migrate_req() {
  const int fd = ::open(migrate_req, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return false;
  const bool written = fd >= 0 && ::write(fd, "1", 1) == 1;
  const std::string failure = errno_text(std::string("private_network: writing 1 to ") + migrate_req);
  if (fd >= 0) ::close(fd);
  if (!written) throw std::runtime_error(failure);
  return true;
}

}  // namespace

private_network::private_network() {
  // /proc/thread-self: namespaces belong to threads, and only this one moves.
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) throw std::runtime_error(errno_text("private_network: open /proc/thread-self/ns/net"));
  if (::unshare(CLONE_NEWNET) != 0) {
    if (errno != EPERM) throw std::runtime_error(errno_text("private_network: unshare(CLONE_NEWNET)"));
    reason_ = "unshare(CLONE_NEWNET) is not permitted (needs root or CAP_SYS_ADMIN; CI runs as root)";
    ::close(original_);
    original_ = -1;
    return;
  }
  try {
    bring_loopback_up();
    entered_ = set_migrate_req();
  } catch (...) {
    ::setns(original_, CLONE_NEWNET);  // a throwing constructor gets no destructor call
    ::close(original_);
    original_ = -1;
    throw;
  }
  if (!entered_) {
    reason_ = std::string(migrate_req) + " does not exist (Linux before 5.14)";
    ::setns(original_, CLONE_NEWNET);
    ::close(original_);
    original_ = -1;
  }
}

private_network::~private_network() {
  if (original_ < 0) return;
  ::setns(original_, CLONE_NEWNET);
  ::close(original_);
}

}  // namespace kmr::test

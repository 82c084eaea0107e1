// SPDX-License-Identifier: MIT
#include "net/pipe_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace kmr::net {

pipe_pool& pipe_pool::local() {
  thread_local pipe_pool pool;
  return pool;
}

pipe_fds pipe_pool::acquire() noexcept {
  if (!idle_.empty()) {
    const auto p = idle_.back();
    idle_.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {};
  int capacity = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(wanted_pipe_capacity));
  if (capacity < 0) capacity = ::fcntl(fds[1], F_GETPIPE_SZ);
  return {fds[0], fds[1], capacity > 0 ? static_cast<std::size_t>(capacity) : 64 * 1024};
}

void pipe_pool::release(pipe_fds p) noexcept {
  if (idle_.size() >= max_idle) {
    close(p);
    return;
  }
  idle_.push_back(p);
}

void pipe_pool::close(pipe_fds p) noexcept {
  if (p.read >= 0) ::close(p.read);
  if (p.write >= 0) ::close(p.write);
}

pipe_pool::~pipe_pool() {
  for (const auto& p : idle_) close(p);
}

}  // namespace kmr::net

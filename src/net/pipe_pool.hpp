// SPDX-License-Identifier: MIT
// Pipes for splice(2), lent per thread: a relay direction borrows one while bytes are in
// flight and gives it back, empty, when its socket has nothing more to read, so an idle
// connection holds no pipe (two descriptors) at all.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace kmr::net {

struct pipe_fds {
  int read = -1;
  int write = -1;
  std::size_t capacity = 0;  // bytes it holds: what one splice may move
};

// Asked of every new pipe: 4 times the default, so one splice moves up to 256 KiB when
// the socket has that much queued (half the system calls per byte of a full 64 KiB
// pipe). Pipes lend page references, not copies, so the size costs the kernel a larger
// slot array, not memory for data. Refused (a per-user limit), the default stays.
inline constexpr std::size_t wanted_pipe_capacity = 256 * 1024;

class pipe_pool {
 public:
  static pipe_pool& local();  // this thread's pool

  // A pipe, from the pool or new; {-1, -1} if none can be made (e.g. EMFILE).
  pipe_fds acquire() noexcept;
  // Takes back an EMPTY pipe; a pipe that may hold bytes must be closed instead.
  void release(pipe_fds p) noexcept;
  static void close(pipe_fds p) noexcept;
  static constexpr std::size_t max_idle_pipes = 64;  // kept per thread for reuse

  ~pipe_pool();

 private:
  static constexpr std::size_t max_idle = max_idle_pipes;
  std::vector<pipe_fds> idle_;
};

// A borrowed pipe, returned to the thread's pool when empty or closed when not.
class pipe_lease {
 public:
  pipe_lease() = default;
  ~pipe_lease() { give_back(); }
  pipe_lease(const pipe_lease&) = delete;
  pipe_lease& operator=(const pipe_lease&) = delete;

  bool acquire() noexcept {
    if (held()) return true;
    fds_ = pipe_pool::local().acquire();
    empty_ = true;
    return held();
  }
  bool held() const noexcept { return fds_.read >= 0; }
  const pipe_fds& fds() const noexcept { return fds_; }
  void set_empty(bool empty) noexcept { empty_ = empty; }
  void give_back() noexcept {
    if (!held()) return;
    if (empty_) pipe_pool::local().release(fds_);
    else pipe_pool::close(fds_);
    fds_ = {};
  }

 private:
  pipe_fds fds_;
  bool empty_ = true;
};

}  // namespace kmr::net

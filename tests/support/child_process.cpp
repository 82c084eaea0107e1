// SPDX-License-Identifier: MIT
#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kmr::test {

struct child_process::state {
  std::string command;
  pid_t pid = -1;
  int pidfd = -1;  // -1 where pidfd_open is missing (then wait_exit polls waitpid)
  bool reaped = false;
  std::optional<clock::time_point> reaped_at;
  exit_status status;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::string out, err;
  int out_fd = -1, err_fd = -1;
  bool out_eof = false, err_eof = false;
  std::atomic<bool> stop{false};
  std::thread drain;
};

namespace {

std::string describe_errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Reads both pipes until the child closes them (or the owner asks to stop), so the
// child never blocks writing its logs.
void drain_pipes(child_process::state* s);

struct pipe_pair {
  int read_end = -1, write_end = -1;
};

pipe_pair make_pipe() {
  int fds[2];
  // O_CLOEXEC: children spawned concurrently by other tests must not inherit our ends.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(describe_errno("pipe2"));
  return {fds[0], fds[1]};
}

std::vector<std::string> child_environment(const env_list& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("SS_")) continue;  // SIP003 mode only when a test asks for it
    const auto key = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(extra.begin(), extra.end(), [&](const auto& kv) { return kv.first == key; });
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  return -1;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, pid_t parent, int in_fd,
                             int out_fd, int err_fd, int report_fd, int max_fd, int fd_3) {
  // If the test process dies (crash, abort), the kernel kills the child too. It is tied
  // to the spawning thread; tests spawn from the test body's thread, which outlives them.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM}) ::signal(sig, SIG_DFL);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  int first_closed = 3;
  if (fd_3 >= 0) {
    // Socket activation (sd_listen_fds): the inherited socket must be exactly fd 3.
    if (report_fd == 3) report_fd = ::fcntl(3, F_DUPFD_CLOEXEC, 4);
    if (fd_3 == 3) ::fcntl(3, F_SETFD, 0);  // dup2 onto itself would keep close-on-exec
    else ::dup2(fd_3, 3);
    first_closed = 4;
  }
  // Asio does not mark its sockets close-on-exec: without this the child would hold
  // the test's listening sockets and connections open after the test closes them.
  // CLOSE_RANGE_CLOEXEC (Linux 5.11) keeps report_fd usable until execve succeeds.
  constexpr unsigned close_range_cloexec = 1U << 2;
  if (::syscall(SYS_close_range, static_cast<unsigned>(first_closed), ~0U, close_range_cloexec) != 0) {
    for (int fd = first_closed; fd < max_fd; ++fd)
      if (fd != report_fd) ::close(fd);
  }
  ::execve(path, argv, envp);
  const int err = errno;
  [[maybe_unused]] auto n = ::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

int highest_fd_bound() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 65536;
  return static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20));
}

void drain_pipes(child_process::state* s) {
  char buf[4096];
  while (!s->stop.load()) {
    pollfd fds[2] = {{s->out_fd, POLLIN, 0}, {s->err_fd, POLLIN, 0}};
    if (fds[0].fd < 0 && fds[1].fd < 0) break;
    // A short timeout so the destructor's stop request is seen even if a grandchild
    // keeps a pipe open.
    if (::poll(fds, 2, 50) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      std::lock_guard lock(s->mutex);
      if (n > 0) {
        (i == 0 ? s->out : s->err).append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        (i == 0 ? s->out_fd : s->err_fd) = -1;
        (i == 0 ? s->out_eof : s->err_eof) = true;
      }
      s->changed.notify_all();
    }
  }
  std::lock_guard lock(s->mutex);
  s->out_eof = s->err_eof = true;
  s->changed.notify_all();
}

}  // namespace

std::string exit_status::describe() const {
  return exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
}

child_process::child_process(const std::string& path, std::vector<std::string> args, const env_list& env,
                             int fd_3)
    : state_(std::make_unique<state>()) {
  if (fd_3 >= 0 && fd_3 < 3) throw std::invalid_argument("child_process: fd_3 must be a descriptor above 2");
  std::vector<std::string> argv_strings{path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = child_environment(env);
  auto argv = c_strings(argv_strings);
  auto envp = c_strings(env_strings);

  state_->command = path;
  for (const auto& a : args) state_->command += " '" + a + "'";
  for (const auto& [k, v] : env) state_->command = k + "='" + v + "' " + state_->command;
  if (fd_3 >= 0) state_->command += " (with fd 3 passed)";

  const pipe_pair out = make_pipe(), err = make_pipe(), report = make_pipe();
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int max_fd = highest_fd_bound();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0)
    exec_child(path.c_str(), argv.data(), envp.data(), parent, devnull, out.write_end, err.write_end,
               report.write_end, max_fd, fd_3);
  const int fork_errno = errno;
  for (int fd : {out.write_end, err.write_end, report.write_end, devnull}) ::close(fd);
  if (pid < 0) {
    for (int fd : {out.read_end, err.read_end, report.read_end}) ::close(fd);
    throw std::runtime_error("fork: " + std::string(std::strerror(fork_errno)));
  }

  int exec_errno = 0;
  ssize_t n = -1;
  do {
    n = ::read(report.read_end, &exec_errno, sizeof exec_errno);  // EOF: execve worked
  } while (n < 0 && errno == EINTR);
  ::close(report.read_end);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int raw = 0;
    ::waitpid(pid, &raw, 0);  // the child has already called _exit
    for (int fd : {out.read_end, err.read_end}) ::close(fd);
    throw std::runtime_error("execve " + path + ": " + std::strerror(exec_errno));
  }
  state_->pid = pid;
  state_->out_fd = out.read_end;
  state_->err_fd = err.read_end;
  state_->pidfd = open_pidfd(pid);
  state_->drain = std::thread(drain_pipes, state_.get());
}

child_process::child_process(child_process&&) noexcept = default;

child_process::~child_process() {
  if (!state_) return;
  if (!state_->reaped) {
    ::kill(state_->pid, SIGKILL);  // by PID only, never by name
    int status = 0;
    while (::waitpid(state_->pid, &status, 0) < 0 && errno == EINTR) {
    }
    state_->reaped = true;
  }
  state_->stop = true;
  if (state_->drain.joinable()) state_->drain.join();
  for (int fd : {state_->out_fd, state_->err_fd, state_->pidfd})
    if (fd >= 0) ::close(fd);
}

pid_t child_process::pid() const noexcept { return state_->pid; }

template <class Match>
std::optional<std::string> child_process::wait_for_matching_line(Match match, deadline d) {
  std::unique_lock lock(state_->mutex);
  std::size_t scanned = 0;  // lines before this offset are complete and did not match
  for (;;) {
    const std::string& err = state_->err;
    for (;;) {
      const auto end = err.find('\n', scanned);
      // A final line without '\n' counts once the child has closed stderr.
      if (end == std::string::npos && !(state_->err_eof && scanned < err.size())) break;
      const auto stop = end == std::string::npos ? err.size() : end;
      std::string_view line(err.data() + scanned, stop - scanned);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      scanned = stop + 1;
      if (auto found = match(line)) return found;
      if (end == std::string::npos) break;
    }
    if (state_->err_eof) return std::nullopt;
    if (state_->changed.wait_until(lock, d) == std::cv_status::timeout && clock::now() >= d) return std::nullopt;
  }
}

std::optional<std::string> child_process::wait_for_line(std::string_view prefix, deadline d) {
  return wait_for_matching_line(
      [prefix](std::string_view line) -> std::optional<std::string> {
        if (!line.starts_with(prefix)) return std::nullopt;
        return std::string(line.substr(prefix.size()));
      },
      d);
}

std::optional<std::string> child_process::wait_for_message(std::string_view prefix, deadline d) {
  return wait_for_matching_line(
      [prefix](std::string_view line) -> std::optional<std::string> {
        if (line.starts_with(prefix)) return std::string(line.substr(prefix.size()));
        if (!line.starts_with("{")) return std::nullopt;
        const std::string key = "\"message\":\"" + std::string(prefix);
        const auto at = line.find(key);
        if (at == std::string_view::npos) return std::nullopt;
        const auto rest = line.substr(at + key.size());
        return std::string(rest.substr(0, rest.find('"')));
      },
      d);
}

std::optional<std::string> child_process::wait_for_line_containing(std::string_view needle, deadline d) {
  return wait_for_matching_line(
      [needle](std::string_view line) -> std::optional<std::string> {
        if (line.find(needle) == std::string_view::npos) return std::nullopt;
        return std::string(line);
      },
      d);
}

std::optional<std::string> child_process::wait_for_nth_line_containing(std::string_view needle, std::size_t n,
                                                                       deadline d) {
  std::size_t seen = 0;  // each line is offered to the matcher once, in order
  return wait_for_matching_line(
      [needle, n, &seen](std::string_view line) -> std::optional<std::string> {
        if (line.find(needle) == std::string_view::npos || ++seen < n) return std::nullopt;
        return std::string(line);
      },
      d);
}

std::string child_process::stderr_text() const {
  std::lock_guard lock(state_->mutex);
  return state_->err;
}

std::string child_process::stdout_text() const {
  std::lock_guard lock(state_->mutex);
  return state_->out;
}

bool child_process::send_signal(int sig) {
  if (state_->reaped) return false;
  return ::kill(state_->pid, sig) == 0;
}

std::optional<exit_status> child_process::wait_exit(deadline d) {
  if (!state_->reaped) {
    int raw = 0;
    for (;;) {
      const pid_t r = ::waitpid(state_->pid, &raw, WNOHANG);
      if (r == state_->pid) {
        state_->reaped_at = clock::now();
        break;
      }
      if (r < 0 && errno != EINTR) return std::nullopt;
      if (clock::now() >= d) return std::nullopt;
      if (state_->pidfd >= 0) {
        pollfd p{state_->pidfd, POLLIN, 0};
        ::poll(&p, 1, poll_timeout_ms(d));
      } else {
        std::this_thread::sleep_for(100us);  // no pidfd: poll finely, exit times are measured
      }
    }
    state_->reaped = true;
    state_->status.exited = WIFEXITED(raw);
    state_->status.code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    state_->status.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  }
  // The pipes close with the child; give the drain thread a moment to read the tail.
  std::unique_lock lock(state_->mutex);
  state_->changed.wait_until(lock, std::max(d, after(2s)), [&] { return state_->out_eof && state_->err_eof; });
  return state_->status;
}

std::optional<clock::time_point> child_process::reaped_at() const { return state_->reaped_at; }

std::optional<exit_status> child_process::terminate(deadline d) {
  send_signal(SIGTERM);
  return wait_exit(d);
}

std::string child_process::diagnostics() const {
  std::string text = "command: " + state_->command + "\n";
  if (state_->reaped) text += "status: " + state_->status.describe() + "\n";
  std::lock_guard lock(state_->mutex);
  text += "stderr:\n" + state_->err;
  if (!state_->out.empty()) text += "\nstdout:\n" + state_->out;
  return text;
}

unsigned short port_of(std::string_view address_text) {
  const auto colon = address_text.rfind(':');
  if (colon == std::string_view::npos) return 0;
  unsigned value = 0;
  std::size_t digits = 0;
  for (char c : address_text.substr(colon + 1)) {
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return 0;
    ++digits;
  }
  return digits == 0 ? 0 : static_cast<unsigned short>(value);
}

}  // namespace kmr::test

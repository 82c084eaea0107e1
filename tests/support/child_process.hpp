// SPDX-License-Identifier: MIT
// A product binary run as a child process: stdout and stderr captured by a drain thread
// (so the child never blocks on a full pipe), waits with deadlines, and a destructor
// that always kills and reaps the child by its PID.
#pragma once

#include "support/deadline.hpp"

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmr::test {

struct exit_status {
  bool exited = false;  // true: the child called exit(code); false: a signal killed it
  int code = -1;
  int signal = 0;

  bool exited_with(int expected_code) const noexcept { return exited && code == expected_code; }
  std::string describe() const;  // "exit 2" or "signal 9", for assertion messages
};

using env_list = std::vector<std::pair<std::string, std::string>>;

class child_process {
 public:
  // Starts `path` with `args` (argv[0] excluded). The child gets this process's
  // environment minus every SS_* variable (so SIP003 mode is only on when a test asks),
  // plus `env`. stdin is /dev/null. Throws std::runtime_error if the spawn fails.
  // `fd_3` >= 3 is passed to the child as its descriptor 3 (a listening socket for
  // socket activation); with the default -1 the child gets no descriptor above 2.
  child_process(const std::string& path, std::vector<std::string> args, const env_list& env = {},
                int fd_3 = -1);
  ~child_process();  // SIGKILL and reap if still running, then join the drain thread

  child_process(child_process&&) noexcept;
  child_process& operator=(child_process&&) = delete;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept;

  // The rest of the first stderr line that starts with `prefix`, once it is complete;
  // nullopt if the deadline passes or the child closes stderr first.
  std::optional<std::string> wait_for_line(std::string_view prefix, deadline d);

  // As wait_for_line, but also finds the message in a log-format=json line
  // ({"time":...,"message":"listen: 127.0.0.1:80"}), so one helper serves both formats.
  // Messages that the JSON writer escapes (quotes, backslashes) are not searched for.
  std::optional<std::string> wait_for_message(std::string_view prefix, deadline d);

  // The first complete stderr line that contains `needle` anywhere, as above.
  std::optional<std::string> wait_for_line_containing(std::string_view needle, deadline d);

  // The n-th (1-based) complete stderr line that contains `needle`, as above: for lines
  // that repeat, such as one per reload.
  std::optional<std::string> wait_for_nth_line_containing(std::string_view needle, std::size_t n, deadline d);

  std::string stderr_text() const;  // what was captured so far
  std::string stdout_text() const;

  // Sends `sig` to the child if it has not been reaped yet.
  bool send_signal(int sig);

  // Waits for the child to exit and reaps it; nullopt if the deadline passes. After a
  // successful wait, stdout/stderr hold everything the child wrote.
  std::optional<exit_status> wait_exit(deadline d);

  // False once the child has exited (reaping it, as wait_exit does), without waiting.
  bool running() { return !wait_exit(clock::now()).has_value(); }

  // When wait_exit saw the child reaped (waitpid returned): exit times are measured to
  // here, excluding the wait for the pipes' tail.
  std::optional<clock::time_point> reaped_at() const;

  // SIGTERM then wait_exit(d).
  std::optional<exit_status> terminate(deadline d);

  // Everything useful for a failed assertion: the command, the status and stderr.
  std::string diagnostics() const;

  struct state;  // opaque; public only so the drain thread's function can name it

 private:
  // The first complete stderr line for which match(line) gives a value.
  template <class Match>
  std::optional<std::string> wait_for_matching_line(Match match, deadline d);

  std::unique_ptr<state> state_;
};

// "listen: 127.0.0.1:41234" -> 41234; "[::1]:41234" -> 41234. 0 if no port is found.
unsigned short port_of(std::string_view address_text);

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// reload=watch: notices when files (the TLS cert=, key=, ocsp=, ca=) are replaced on disk,
// by inotify on their directories, and calls back once per burst of changes.
#pragma once

#include "core/asio.hpp"
#include "core/expected.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kmr::sys {

namespace detail {
struct watch_state;
}

// Watches each file's directory, not the file: a watch on the file itself follows the
// old inode away when an editor or certbot renames a new file into place. For a path that
// is a symlink (certbot's live/NAME/*.pem -> ../../archive/NAME/*N.pem), the directory of
// each link target is watched as well, and the links are resolved again after each burst.
//
// All of it runs on the io_context given to start(), which must be run by one thread (the
// program's control thread); call stop() and the destructor on that thread too, and
// destroy the watch before the io_context.
class file_watch {
 public:
  // Starts watching `paths`. `on_change` runs on `io`, `debounce` after the last event of
  // a burst (each event restarts the wait). Fails with one line naming the path and the
  // reason, e.g. "cannot watch /etc/x (the directory of cert.pem): No such file or directory".
  static expected<std::unique_ptr<file_watch>, std::string> start(
      asio::io_context& io, std::vector<std::string> paths, std::chrono::milliseconds debounce,
      std::function<void()> on_change);

  // Cancels the reads and timers and closes inotify; on_change never runs after this,
  // even for a burst already seen. Safe to call again, and from inside on_change.
  void stop();

  ~file_watch();
  file_watch(const file_watch&) = delete;
  file_watch& operator=(const file_watch&) = delete;

 private:
  explicit file_watch(std::shared_ptr<detail::watch_state> state);

  // Shared with the pending handlers: a cancelled handler still runs (with
  // operation_aborted) after stop(), and must find its state alive.
  std::shared_ptr<detail::watch_state> state_;
};

}  // namespace kmr::sys

// SPDX-License-Identifier: MIT
#include "sys/file_watch.hpp"

#include "core/log.hpp"
#include "core/report_exception.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

namespace kmr::sys {
namespace fs = std::filesystem;

namespace detail {

using name_set = std::set<std::string, std::less<>>;

struct watch_state {
  watch_state(asio::io_context& io, std::vector<std::string> p, std::chrono::milliseconds d,
              std::function<void()> cb)
      : inotify(io), quiet_timer(io), retry_timer(io), paths(std::move(p)), debounce(d),
        on_change(std::move(cb)) {}

  asio::posix::stream_descriptor inotify;
  asio::steady_timer quiet_timer;  // debounce: fires `debounce` after the last event
  asio::steady_timer retry_timer;  // re-adds directories that are missing
  std::vector<std::string> paths;
  std::chrono::milliseconds debounce;
  std::function<void()> on_change;
  std::map<int, name_set> names;        // watch descriptor -> entries that matter there
  std::set<std::string> missing;        // directories that could not be watched
  std::uint64_t generation = 0;         // of the latest quiet_timer wait
  bool retry_pending = false;
  bool stopped = false;
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
};

}  // namespace detail

namespace {

using detail::watch_state;
using state_ptr = std::shared_ptr<watch_state>;

// Replacing a file shows up in its directory as one of these for its name; the *_SELF
// events (no name) mean the directory itself went away or moved.
constexpr std::uint32_t dir_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                   IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                   IN_ONLYDIR;

// How often a directory that vanished is looked for again. Slow on purpose: it only
// matters while someone rebuilds a certificate directory, and must never spin.
constexpr std::chrono::seconds retry_interval{2};

// Symlinks followed per path: enough for certbot (one hop) and Kubernetes secrets (two),
// and a bound on link loops.
constexpr int max_links = 16;

struct watch_point {
  std::string dir;
  std::string name;
  bool required;  // the path's own directory: start() fails without it
};

std::string errno_text(int e) { return std::generic_category().message(e); }

fs::path dir_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

void add_points(const fs::path& p, bool required, std::vector<watch_point>& out, int& budget);

// Where `link` points, resolved as the kernel does: relative to the link's directory.
void follow_link(const fs::path& link, std::vector<watch_point>& out, int& budget) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  if (ec || target.empty()) return;
  add_points(target.is_absolute() ? target : dir_of(link) / target, false, out, budget);
}

// `p` in its directory, then every symlink on the way to the file: a directory component
// (Kubernetes swaps a "..data" link to a new directory) and the file itself (certbot).
void add_points(const fs::path& p, bool required, std::vector<watch_point>& out, int& budget) {
  const fs::path dir = dir_of(p);
  out.push_back({dir.string(), p.filename().string(), required});
  std::error_code ec;
  fs::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (budget > 0 && fs::is_symlink(prefix, ec)) {
      --budget;
      add_points(prefix, false, out, budget);
    }
  }
  if (budget > 0 && fs::is_symlink(p, ec)) {
    --budget;
    follow_link(p, out, budget);
  }
}

std::vector<watch_point> watch_points(const std::vector<std::string>& paths) {
  std::vector<watch_point> out;
  for (const auto& p : paths) {
    int budget = max_links;
    add_points(fs::path(p), true, out, budget);
  }
  return out;
}

// Resolves the paths again and brings the inotify watches in line: new directories are
// added, ones no longer needed removed. With `strict`, a path's own directory that cannot
// be watched is an error; otherwise it is remembered in `missing` for the retry timer.
std::optional<std::string> rewatch(watch_state& st, bool strict) {
  std::map<int, detail::name_set> names;
  std::set<std::string> missing;
  const int fd = st.inotify.native_handle();
  for (const auto& point : watch_points(st.paths)) {
    // The same directory reached by two names gets the same descriptor: names merge.
    const int wd = ::inotify_add_watch(fd, point.dir.c_str(), dir_mask);
    if (wd >= 0) {
      names[wd].insert(point.name);
      continue;
    }
    if (strict && point.required) {
      return "cannot watch " + point.dir + " (the directory of " + point.name +
             "): " + errno_text(errno);
    }
    missing.insert(point.dir);
  }
  for (const auto& [wd, unused] : st.names) {
    // EINVAL when the kernel already dropped it (the directory was deleted): harmless.
    if (names.count(wd) == 0) ::inotify_rm_watch(fd, wd);
  }
  st.names = std::move(names);
  st.missing = std::move(missing);
  return std::nullopt;
}

// True when one of the events in buf[0, n) concerns a watched entry.
bool scan(watch_state& st, const char* buf, std::size_t n) {
  bool changed = false;
  std::size_t off = 0;
  while (off + sizeof(inotify_event) <= n) {
    inotify_event ev;
    std::memcpy(&ev, buf + off, sizeof ev);
    const char* name_at = buf + off + sizeof ev;
    off += sizeof ev + ev.len;
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      changed = true;  // events were lost: assume one of ours was among them
      continue;
    }
    const auto it = st.names.find(ev.wd);
    if (it == st.names.end()) continue;  // a watch we removed, or an unknown one
    if ((ev.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
      // The directory is gone (IN_IGNORED: the kernel dropped the watch); the rewatch
      // at the end of the burst looks for it again by name.
      if ((ev.mask & IN_IGNORED) != 0) st.names.erase(it);
      changed = true;
      continue;
    }
    const std::string_view name(name_at, ::strnlen(name_at, ev.len));
    if (!name.empty() && it->second.count(name) != 0) changed = true;
  }
  return changed;
}

void wait_readable(const state_ptr& st);
void arm_retry(const state_ptr& st);

// The burst is over: watch the (maybe new) link targets, then tell the owner.
void on_quiet(const state_ptr& st, std::uint64_t generation, error_code ec) {
  // A wait that already fired when a later event re-armed the timer still gets here
  // with success: the generation tells it apart.
  if (st->stopped || ec || generation != st->generation) return;
  const auto callback = st->on_change;  // a copy: the callback may stop the watch
  try {
    rewatch(*st, false);
    arm_retry(st);
    if (callback) callback();
  } catch (...) {
    // Nothing may escape into io_context::run() (STYLE rule 6); the watch goes on.
    report_exception("file watch", std::current_exception());
  }
}

void arm_quiet(const state_ptr& st) {
  const std::uint64_t generation = ++st->generation;
  st->quiet_timer.expires_after(st->debounce);  // cancels the wait in progress, if any
  st->quiet_timer.async_wait([st, generation](error_code ec) { on_quiet(st, generation, ec); });
}

// A directory that was missing is back: its files may have changed unseen, so that
// counts as a change.
void on_retry(const state_ptr& st, error_code ec) {
  st->retry_pending = false;
  if (st->stopped || ec) return;
  const std::set<std::string> before = st->missing;
  rewatch(*st, false);
  const bool recovered = std::any_of(before.begin(), before.end(), [&](const std::string& d) {
    return st->missing.count(d) == 0;
  });
  if (recovered) arm_quiet(st);
  arm_retry(st);
}

void arm_retry(const state_ptr& st) {
  if (st->stopped || st->missing.empty() || st->retry_pending) return;
  st->retry_pending = true;
  st->retry_timer.expires_after(retry_interval);
  st->retry_timer.async_wait([st](error_code ec) { on_retry(st, ec); });
}

// Drains the non-blocking descriptor; a failure other than "no more events" ends the
// watch (with a warning) rather than spinning on it.
void on_readable(const state_ptr& st, error_code ec) {
  if (st->stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    log::warn("file watch stopped: {}", ec.message());
    return;
  }
  bool changed = false;
  for (;;) {
    const ssize_t n = ::read(st->inotify.native_handle(), st->buffer.data(), st->buffer.size());
    if (n > 0) {
      changed = scan(*st, st->buffer.data(), static_cast<std::size_t>(n)) || changed;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    log::warn("file watch stopped: reading inotify: {}", n < 0 ? errno_text(errno) : "end of file");
    return;
  }
  if (changed) arm_quiet(st);
  wait_readable(st);
}

void wait_readable(const state_ptr& st) {
  st->inotify.async_wait(asio::posix::descriptor_base::wait_read,
                         [st](error_code ec) { on_readable(st, ec); });
}

}  // namespace

expected<std::unique_ptr<file_watch>, std::string> file_watch::start(
    asio::io_context& io, std::vector<std::string> paths, std::chrono::milliseconds debounce,
    std::function<void()> on_change) {
  if (paths.empty()) return unexpected<std::string>("cannot watch: no files given");
  for (const auto& p : paths) {
    if (p.empty() || fs::path(p).filename().empty())
      return unexpected<std::string>("cannot watch \"" + p + "\": not a file name");
  }
  auto st = std::make_shared<watch_state>(io, std::move(paths), debounce, std::move(on_change));
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return unexpected<std::string>("cannot watch files: inotify: " + errno_text(errno));
  error_code ec;
  st->inotify.assign(fd, ec);
  if (ec) {
    ::close(fd);
    return unexpected<std::string>("cannot watch files: " + ec.message());
  }
  if (auto e = rewatch(*st, true)) return unexpected<std::string>(std::move(*e));
  arm_retry(st);  // a symlink's target directory may be missing already
  wait_readable(st);
  return std::unique_ptr<file_watch>(new file_watch(std::move(st)));
}

file_watch::file_watch(std::shared_ptr<detail::watch_state> state) : state_(std::move(state)) {}

file_watch::~file_watch() { stop(); }

void file_watch::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  error_code ignored;
  state_->inotify.close(ignored);  // the kernel drops every watch with the descriptor
  state_->quiet_timer.cancel();
  state_->retry_timer.cancel();
}

}  // namespace kmr::sys

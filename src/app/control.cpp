// SPDX-License-Identifier: MIT
#include "app/control.hpp"

#include "core/log.hpp"

#include <fmt/chrono.h>

#include <csignal>

namespace kmr::app {
namespace {

using std::chrono::milliseconds;

// How often a drain looks at the count of open connections: cheap (one relaxed load per
// worker), and fine-grained enough that the exit follows the last close closely.
constexpr milliseconds drain_poll{50};
// reload=watch: a renewal replaces several files within moments; one reload for them all.
constexpr milliseconds watch_debounce{500};
// Reloads closer together than this are merged (see request_reload): each one reads every
// TLS file and, on the client, the whole system trust store.
constexpr milliseconds reload_gap{200};
// How often the count of open connections is looked at for the end of a burst (one relaxed
// load per worker): a trim follows the last close within about two of these.
constexpr milliseconds heap_poll{1000};

bool has_reloadable_tls(const opt::tunnel_config& c) {
  if (!c.tls) return false;
  // The client re-reads the system trust store and ca=; a server without cert= and key=
  // made its certificate at start-up (servername=) and has no file to read again.
  return c.role == opt::side::client || (!c.tls->cert_file.empty() && !c.tls->key_file.empty());
}

// "1 connection", "0 connections": the counts are read by people first.
std::string connections(std::uint64_t n) { return fmt::format("{} connection{}", n, n == 1 ? "" : "s"); }

std::string format_duration(milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

}  // namespace

control::control(asio::io_context& io, runtime_slot& runtimes, std::list<worker>& workers,
                 sys::service_notifier& notifier)
    : io_(io), runtimes_(runtimes), workers_(workers), notifier_(notifier), signals_(io, SIGINT, SIGTERM, SIGHUP),
      drain_timer_(io), watchdog_timer_(io), reload_gap_timer_(io), heap_timer_(io) {
  wait_for_signal();
}

void control::start() {
  if (const auto interval = sys::service_notifier::watchdog_interval_from_environment()) {
    // Half the interval, as sd_watchdog_enabled(3) advises: one late tick is not a kill.
    tick_watchdog(*interval / 2);
  }
  if (runtimes_.current()->config.reload == opt::reload_mode::watch) watch_files();
  watch_heap();
}

// On this thread, not a worker's: malloc_trim walks every arena, and a worker that needs
// its arena meanwhile waits only for that arena's part (docs/operations.md has the cost).
void control::watch_heap() {
  if (heap_trim_.observe(open_connections(), std::chrono::steady_clock::now())) {
    const auto started = std::chrono::steady_clock::now();
    if (sys::trim_heap()) {
      log::debug("burst over: freed heap memory given back to the system in {}",
                 std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
    }
  }
  heap_timer_.expires_after(heap_poll);
  heap_timer_.async_wait([this](const error_code& ec) {
    if (!ec) watch_heap();
  });
}

void control::wait_for_signal() {
  signals_.async_wait([this](const error_code& ec, int sig) {
    if (ec) return;  // the set was cancelled: stopping
    on_signal(sig);
    if (!io_.stopped()) wait_for_signal();
  });
}

void control::on_signal(int sig) {
  if (sig == SIGHUP) {
    log::debug("SIGHUP: reloading");
    request_reload("SIGHUP");
    return;
  }
  const auto drain = runtimes_.current()->config.drain;
  if (draining_) {
    log::info("second signal: cutting {}", connections(open_connections()));
    finish("second signal");
    return;
  }
  notifier_.stopping(drain.count() > 0 ? "draining" : "stopping");
  // A SIP003 host sends SIGKILL about 10 ms after SIGTERM: without drain=, stop at once.
  if (drain.count() == 0) {
    log::debug("signal {}: stopping", sig);
    io_.stop();
    return;
  }
  begin_drain();
}

void control::request_reload(std::string_view trigger) {
  if (in_reload_gap_) {
    reload_again_ = true;
    return;
  }
  reload(trigger);
  in_reload_gap_ = true;
  reload_gap_timer_.expires_after(reload_gap);
  reload_gap_timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    in_reload_gap_ = false;
    if (!reload_again_) return;
    reload_again_ = false;
    request_reload("requests merged");
  });
}

void control::reload(std::string_view trigger) {
  // Around every reload, even one with nothing to do: under Type=notify-reload, systemd
  // waits for RELOADING=1 and then READY=1 after each SIGHUP it sends.
  notifier_.reloading();
  const auto current = runtimes_.current();
  if (!has_reloadable_tls(current->config)) {
    log::info("reload: no TLS material to reload");
    notifier_.ready();
    return;
  }
  log::debug("reload ({}): reading the TLS files", trigger);
  auto next = make_runtime(current->config, current.get());
  if (!next) {
    ++reloads_.failed;
    log::error("reload failed: option '{}': {}; keeping the TLS material in force", next.error().key,
               next.error().message);
  } else {
    runtimes_.publish(*next);
    ++reloads_.succeeded;
    log::info("reloaded TLS material: {}", (*next)->tls_description);
    if (!(*next)->expiry_warning.empty()) log::warn("{}", (*next)->expiry_warning);
  }
  notifier_.ready();
}

// Every worker first takes what its listener has queued, then closes it; the count of
// open connections is taken once all have done so.
void control::begin_drain() {
  draining_ = true;
  drain_deadline_ = std::chrono::steady_clock::now() + runtimes_.current()->config.drain;
  for (auto& w : workers_)
    w.stop_accepting([this] { asio::post(io_, [this] { drain_started(); }); });
}

void control::drain_started() {
  if (++workers_swept_ < workers_.size() || io_.stopped()) return;
  open_at_drain_ = open_connections();
  log::info("draining: {} open, for up to {}", connections(open_at_drain_),
            format_duration(runtimes_.current()->config.drain));
  check_drain();
}

void control::check_drain() {
  if (open_connections() == 0) return finish("all connections finished");
  if (std::chrono::steady_clock::now() >= drain_deadline_) return finish("drain time is up");
  drain_timer_.expires_after(drain_poll);
  drain_timer_.async_wait([this](const error_code& ec) {
    if (!ec) check_drain();
  });
}

void control::finish(std::string_view why) {
  const auto cut = open_connections();
  // Connections taken from the queues after the count are counted as finished too.
  const auto finished = open_at_drain_ > cut ? open_at_drain_ - cut : 0;
  log::debug("drain over: {}", why);
  log::info("drained: {} open at start, {} finished, {} cut", open_at_drain_, finished, cut);
  io_.stop();
}

std::uint64_t control::open_connections() const {
  std::uint64_t n = 0;
  for (const auto& w : workers_) n += w.open_connections();
  return n;
}

void control::watch_files() {
  const auto current = runtimes_.current();
  if (current->tls_files.empty()) {
    log::warn("reload=watch: no TLS files to watch (the tls layer needs cert= and key=, or ca= on the client)");
    return;
  }
  auto watch = sys::file_watch::start(io_, current->tls_files, watch_debounce, [this] { request_reload("files changed"); });
  if (!watch) {
    log::warn("reload=watch: {}; SIGHUP still reloads", watch.error());
    return;
  }
  file_watch_ = std::move(*watch);
}

// Tells systemd we are alive only when every worker's loop answered the previous ping: a
// wedged worker must get the process restarted, not covered for by the main thread.
void control::tick_watchdog(std::chrono::microseconds period) {
  bool all_answered = true;
  for (const auto& w : workers_) all_answered = all_answered && w.heartbeat() == beat_;
  if (all_answered) {
    notifier_.watchdog();
    watchdog_complained_ = false;
  } else if (!watchdog_complained_) {
    log::warn("a worker thread has not answered for {} ms; the systemd watchdog is not fed",
              std::chrono::duration_cast<milliseconds>(period).count());
    watchdog_complained_ = true;
  }
  if (all_answered) {
    ++beat_;
    for (auto& w : workers_) w.ping(beat_);
  }
  watchdog_timer_.expires_after(period);
  watchdog_timer_.async_wait([this, period](const error_code& ec) {
    if (!ec) tick_watchdog(period);
  });
}

}  // namespace kmr::app

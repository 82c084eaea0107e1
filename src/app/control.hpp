// SPDX-License-Identifier: MIT
// The control thread's state machine, on its own event loop: signals, reloads, the drain
// and the systemd watchdog. It never touches a connection; it talks to the workers only
// through their thread-safe calls (stop_accepting, ping, the counters).
#pragma once

#include "app/runtime_slot.hpp"
#include "app/worker.hpp"
#include "sys/file_watch.hpp"
#include "sys/heap_trim.hpp"
#include "sys/sd_notify.hpp"

#include <chrono>
#include <list>
#include <memory>
#include <string_view>

namespace kmr::app {

class control {
 public:
  // The signal handlers are installed here: construct it before anything announces
  // readiness, so that a signal sent at once is handled, never fatal.
  control(asio::io_context& io, runtime_slot& runtimes, std::list<worker>& workers, sys::service_notifier& notifier);

  // Once the workers run: the watchdog (WATCHDOG_USEC), the file watch (reload=watch) and
  // the heap trim after bursts of connections (sys/heap_trim.hpp).
  void start();

  // Re-reads the TLS files into a new snapshot for the next accepts; on any error the
  // snapshot in force stays, and one line says why. Never ends the process. At once,
  // unless a reload ran less than reload_gap ago: then once more when the gap is over,
  // however many requests came meanwhile (a storm of SIGHUPs is a few reloads, and the
  // last request is always followed by a reload that reads the files as they are then).
  void request_reload(std::string_view trigger);

  // For the metrics scrape, which runs on this thread too.
  struct reload_counts {
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
  };
  const reload_counts& reloads() const noexcept { return reloads_; }
  bool draining() const noexcept { return draining_; }

 private:
  void reload(std::string_view trigger);
  void wait_for_signal();
  void on_signal(int sig);
  void begin_drain();
  void drain_started();
  void check_drain();
  void finish(std::string_view why);
  std::uint64_t open_connections() const;
  void watch_files();
  void tick_watchdog(std::chrono::microseconds period);
  void watch_heap();

  asio::io_context& io_;
  runtime_slot& runtimes_;
  std::list<worker>& workers_;
  sys::service_notifier& notifier_;
  asio::signal_set signals_;
  asio::steady_timer drain_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer reload_gap_timer_;
  asio::steady_timer heap_timer_;
  sys::heap_trim_policy heap_trim_;
  bool in_reload_gap_ = false;
  bool reload_again_ = false;
  std::unique_ptr<sys::file_watch> file_watch_;

  reload_counts reloads_;
  bool draining_ = false;
  std::size_t workers_swept_ = 0;
  std::uint64_t open_at_drain_ = 0;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::uint64_t beat_ = 0;
  bool watchdog_complained_ = false;
};

}  // namespace kmr::app

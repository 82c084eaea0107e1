// SPDX-License-Identifier: MIT
// One worker thread: its own event loop, listener (or UDP socket, for kaminaric with uot)
// and connection state, shared with no other thread (DESIGN.md §2). The control thread
// starts it, asks it to stop accepting (drain), checks that it is alive (watchdog) and
// stops it.
#pragma once

#include "app/session.hpp"
#include "app/uot_client.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

namespace kmr::app {

class worker {
 public:
  worker(const runtime_slot& runtimes, unsigned index, unsigned count);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  asio::io_context& io() noexcept { return io_; }
  worker_state& state() noexcept { return state_; }
  tcp::acceptor& acceptor() noexcept { return acceptor_; }
  void listen_udp(udp::socket socket);  // kaminaric with uot: datagrams instead of connections
  bool udp() const noexcept { return datagrams_ != nullptr; }
  std::string bound_address() const;

  // Starts the accept loop (or the UDP receiver) on a new thread.
  void start();

  // From any thread: the worker takes what is already queued at its listener, then closes
  // it (kaminaric with uot: stops opening flows), then calls `done` on its own thread.
  // Open connections go on.
  void stop_accepting(std::function<void()> done);

  // From any thread: the worker answers by setting its heartbeat to `beat` once its loop
  // gets to it. A loop that is stuck never answers (the systemd watchdog's question).
  void ping(std::uint64_t beat);
  std::uint64_t heartbeat() const noexcept { return heartbeat_.load(std::memory_order_acquire); }

  std::uint64_t open_connections() const noexcept { return state_.open.load(std::memory_order_relaxed); }
  // This worker's counters, for the metrics scrape (any thread may read them).
  const metrics::worker_metrics& counters() const noexcept { return state_.metrics; }

  // Stops the loop at once (open connections are cut) and joins the thread.
  void stop();

 private:
  void take_queued_then_close();

  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  worker_state state_;
  std::unique_ptr<uot_client> datagrams_;
  std::atomic<std::uint64_t> heartbeat_{0};
  std::thread thread_;
};

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// A bounded stream of short echo connections from background threads, counting how each
// ended: the load that runs while a test reloads, drains or hands a port over.
#pragma once

#include "support/deadline.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace kmr::test {

struct client_loop_config {
  std::string host = "127.0.0.1";  // numeric
  std::uint16_t port = 0;
  unsigned threads = 2;
  std::size_t max_connections = 3000;  // over all threads; the loop ends at this count...
  clock::duration max_time = 8s;       // ...or after this long, whichever comes first
  std::size_t max_payload = 4000;      // each connection sends 100..max_payload bytes
  clock::duration per_connection = 10s;  // the deadline of one connection's steps
  clock::duration pause = 0ms;           // between two connections of one thread
  std::uint64_t seed = 1;                // distinct payloads per connection derive from it
};

// How the connections ended. Only `ok` is a success.
struct loop_counts {
  std::size_t ok = 0;        // the echo came back whole, then EOF
  std::size_t refused = 0;   // connect: ECONNREFUSED
  std::size_t reset = 0;     // ECONNRESET or EPIPE at any step
  std::size_t mismatch = 0;  // EOF, but the bytes differ (a cut connection ends short)
  std::size_t timeout = 0;   // a step did not finish within per_connection
  std::size_t other = 0;     // any other error
  std::vector<std::string> first_failures;  // the first few, described

  std::size_t failures() const noexcept { return refused + reset + mismatch + timeout + other; }
  std::size_t total() const noexcept { return ok + failures(); }
};
std::ostream& operator<<(std::ostream& out, const loop_counts& c);

class client_loop {
 public:
  // Starts the threads at once; each connects, sends a distinct payload, shuts down its
  // write side and checks the echo, again and again until a bound is reached.
  explicit client_loop(client_loop_config config);
  ~client_loop();  // finish()
  client_loop(const client_loop&) = delete;
  client_loop& operator=(const client_loop&) = delete;

  loop_counts counts() const;  // so far
  // Waits until at least `n` connections have succeeded; false at the deadline or when
  // the loop ended first.
  bool wait_ok(std::size_t n, deadline d) const;
  loop_counts wait_done();  // lets the loop run to its bound, then joins
  loop_counts finish();     // asks the threads to stop after their current connection

 private:
  void run(unsigned index);
  void record(int outcome, const std::string& what);

  client_loop_config config_;
  deadline end_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> started_{0};
  std::atomic<unsigned> running_{0};
  mutable std::mutex mutex_;
  loop_counts counts_;
  std::vector<std::thread> threads_;
};

}  // namespace kmr::test

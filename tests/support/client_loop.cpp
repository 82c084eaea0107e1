// SPDX-License-Identifier: MIT
#include "support/client_loop.hpp"

#include "support/payload.hpp"
#include "support/tcp_client.hpp"

#include <cerrno>
#include <cstring>

namespace kmr::test {
namespace {

enum outcome { ok, refused, reset, mismatch, timeout, other };

int errno_outcome(int e) {
  if (e == ECONNREFUSED) return refused;
  if (e == ECONNRESET || e == EPIPE) return reset;
  if (e == ETIMEDOUT) return timeout;
  return other;
}

struct result {
  int what = ok;
  std::string text;
};

// One connection: connect, send, shut down the write side, read the echo to its end.
result one_connection(const client_loop_config& c, std::size_t size, std::uint64_t seed) {
  const deadline d = after(c.per_connection);
  int error = 0;
  const socket_fd fd = try_connect_tcp(c.host, c.port, d, error);
  if (!fd) return {errno_outcome(error), std::string("connect: ") + std::strerror(error)};
  const auto payload = make_payload(size, seed);
  errno = 0;
  if (!send_all(fd.get(), payload, d) || !shutdown_write(fd.get())) {
    const int e = errno == 0 ? ETIMEDOUT : errno;  // send_all's poll timed out: errno untouched
    return {errno_outcome(e), std::string("send: ") + std::strerror(e)};
  }
  const read_result r = read_to_end(fd.get(), d);
  switch (r.end) {
    case stream_end::eof: break;
    case stream_end::reset: return {reset, "read: reset after " + std::to_string(r.received.bytes) + " bytes"};
    case stream_end::timeout: return {timeout, "read: timed out after " + std::to_string(r.received.bytes) + " bytes"};
    case stream_end::error: return {other, "read: error after " + std::to_string(r.received.bytes) + " bytes"};
  }
  if (r.received != digest_of(payload))
    return {mismatch, "echo of " + std::to_string(size) + " bytes ended by EOF after " +
                          std::to_string(r.received.bytes) + " bytes, or differs"};
  return {ok, {}};
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const loop_counts& c) {
  out << c.total() << " connections: " << c.ok << " ok, " << c.refused << " refused, " << c.reset << " reset, "
      << c.mismatch << " mismatched, " << c.timeout << " timed out, " << c.other << " other";
  for (const auto& f : c.first_failures) out << "\n  " << f;
  return out;
}

client_loop::client_loop(client_loop_config config) : config_(std::move(config)), end_(after(config_.max_time)) {
  running_ = config_.threads;
  for (unsigned i = 0; i < config_.threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

client_loop::~client_loop() { finish(); }

void client_loop::run(unsigned index) {
  while (!stop_ && clock::now() < end_) {
    const std::size_t n = started_++;
    if (n >= config_.max_connections) break;
    const std::size_t size = 100 + (n * 7919) % (config_.max_payload > 100 ? config_.max_payload - 100 : 1);
    const result r = one_connection(config_, size, config_.seed * 1'000'003 + n);
    record(r.what, "connection " + std::to_string(n) + " (thread " + std::to_string(index) + "): " + r.text);
    if (config_.pause > clock::duration::zero()) std::this_thread::sleep_for(config_.pause);
  }
  std::lock_guard lock(mutex_);
  --running_;
}

void client_loop::record(int outcome, const std::string& what) {
  std::lock_guard lock(mutex_);
  std::size_t* slots[] = {&counts_.ok,       &counts_.refused, &counts_.reset,
                          &counts_.mismatch, &counts_.timeout, &counts_.other};
  ++*slots[outcome];
  if (outcome != ok && counts_.first_failures.size() < 5) counts_.first_failures.push_back(what);
}

loop_counts client_loop::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

bool client_loop::wait_ok(std::size_t n, deadline d) const {
  // Bounded by the deadline; 10 ms steps are fine for a test that waits seconds.
  while (clock::now() < d) {
    {
      std::lock_guard lock(mutex_);
      if (counts_.ok >= n) return true;
      if (running_ == 0) return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return counts().ok >= n;
}

loop_counts client_loop::wait_done() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  return counts();
}

loop_counts client_loop::finish() {
  stop_ = true;
  return wait_done();
}

}  // namespace kmr::test

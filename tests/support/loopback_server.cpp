// SPDX-License-Identifier: MIT
#include "support/loopback_server.hpp"

#include "core/asio.hpp"
#include "support/socket_fd.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace kmr::test {

struct loopback_server::shared {
  server_config config;
  std::vector<std::uint8_t> reply;
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  std::uint16_t port = 0;
  std::atomic<std::size_t> accepted{0};

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<session_record> records;

  std::thread thread;

  void record(digest received, bool clean_eof) {
    std::lock_guard lock(mutex);
    records.push_back({std::move(received), clean_eof});
    changed.notify_all();
  }
};

namespace {

using shared_state = loopback_server::shared;

// Reads to EOF (or an error), digesting; returns true on a clean EOF.
awaitable<bool> read_to_eof(tcp::socket& socket, digest_builder& digest) {
  std::array<std::uint8_t, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), nothrow);
    if (ec) co_return ec == asio::error::eof;
    digest.update({buf.data(), n});
  }
}

awaitable<void> echo_session(tcp::socket socket, shared_state& s) {
  std::array<std::uint8_t, 16 * 1024> buf;
  digest_builder digest;
  bool clean_eof = false;
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), nothrow);
    if (ec) {
      clean_eof = ec == asio::error::eof;
      break;
    }
    digest.update({buf.data(), n});
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(buf, n), nothrow);
    if (write_ec) break;
  }
  // Half-close: everything has been echoed, so pass the peer's EOF on.
  error_code ignored;
  if (clean_eof) socket.shutdown(tcp::socket::shutdown_send, ignored);
  s.record(digest.finish(), clean_eof);
}

awaitable<void> read_then_reply_session(tcp::socket socket, shared_state& s) {
  digest_builder digest;
  const bool clean_eof = co_await read_to_eof(socket, digest);
  s.record(digest.finish(), clean_eof);
  if (!clean_eof) co_return;
  // The reply starts only after the request's EOF: it proves data flows after a half-close.
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(s.reply), nothrow);
  error_code ignored;
  if (!ec) socket.shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> reply_then_read_session(tcp::socket socket, shared_state& s) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(s.reply), nothrow);
  error_code ignored;
  if (!ec) socket.shutdown(tcp::socket::shutdown_send, ignored);  // our side ends first
  digest_builder digest;
  const bool clean_eof = co_await read_to_eof(socket, digest);
  s.record(digest.finish(), clean_eof);
}

awaitable<void> hold_silent_session(tcp::socket socket, shared_state& s) {
  digest_builder digest;
  const bool clean_eof = co_await read_to_eof(socket, digest);
  s.record(digest.finish(), clean_eof);
  // Neither write nor close: only the tunnel's half-close timeout can end this.
  asio::steady_timer forever(socket.get_executor(), asio::steady_timer::time_point::max());
  co_await forever.async_wait(nothrow);
}

awaitable<void> run_session(tcp::socket socket, shared_state& s) {
  switch (s.config.mode) {
    case server_mode::echo: return echo_session(std::move(socket), s);
    case server_mode::read_then_reply: return read_then_reply_session(std::move(socket), s);
    case server_mode::reply_then_read: return reply_then_read_session(std::move(socket), s);
    case server_mode::hold_silent: return hold_silent_session(std::move(socket), s);
  }
  return echo_session(std::move(socket), s);
}

void report_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    std::fprintf(stderr, "loopback_server: session failed: %s\n", x.what());
  }
}

awaitable<void> accept_loop(shared_state& s) {
  for (;;) {
    auto [ec, socket] = co_await s.acceptor.async_accept(nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly rather than spin or stop serving.
      asio::steady_timer pause(s.context, std::chrono::milliseconds(10));
      co_await pause.async_wait(nothrow);
      continue;
    }
    {
      std::lock_guard lock(s.mutex);
      ++s.accepted;
      s.changed.notify_all();
    }
    asio::co_spawn(s.context, run_session(std::move(socket), s), report_exception);
  }
}

}  // namespace

loopback_server::loopback_server(server_config config) : shared_(std::make_unique<shared>()) {
  shared_->config = std::move(config);
  shared_->reply = make_payload(shared_->config.reply_bytes, shared_->config.reply_seed);
  const tcp::endpoint endpoint(asio::ip::make_address(shared_->config.host), 0);
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  shared_->port = acceptor.local_endpoint().port();
  asio::co_spawn(shared_->context, accept_loop(*shared_), report_exception);
  shared_->thread = std::thread([s = shared_.get()] { s->context.run(); });
}

loopback_server::~loopback_server() {
  shared_->context.stop();
  shared_->thread.join();
  // Destroying the context (with `shared_`) destroys the suspended sessions, closing
  // their sockets.
}

std::uint16_t loopback_server::port() const noexcept { return shared_->port; }

std::string loopback_server::address() const { return address_text(shared_->config.host, shared_->port); }

std::size_t loopback_server::accepted() const noexcept { return shared_->accepted.load(); }

bool loopback_server::wait_accepted(std::size_t count, deadline d) const {
  std::unique_lock lock(shared_->mutex);
  return shared_->changed.wait_until(lock, d, [&] { return shared_->accepted.load() >= count; });
}

std::optional<std::vector<session_record>> loopback_server::wait_records(std::size_t count, deadline d) const {
  std::unique_lock lock(shared_->mutex);
  if (!shared_->changed.wait_until(lock, d, [&] { return shared_->records.size() >= count; })) return std::nullopt;
  return shared_->records;
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// TLS as a relay stream (net/tcp_stream.hpp): OpenSSL driven directly on the non-blocking
// socket, waiting for readiness on WANT_READ, with no memory BIO. The records one SSL call
// writes are collected (tls/send_batch.hpp) and sent together after it, and a read takes
// every whole record already read ahead. Half-close is close_notify then a TCP FIN, and
// the peer's close_notify is end of stream, as the original requires.
//
// TLS 1.3 early data (0-RTT), both roles:
//  - client: when a stored ticket allows it, the stream starts in its early phase: the
//    writes made before the first read leave with the ClientHello. The first read
//    completes the handshake; if the server refused the early data, the same bytes are
//    written again, so they are never lost and never doubled.
//  - server: accept() returns as soon as the ClientHello's early data has arrived, so a
//    request in it is served (and answered as 0.5-RTT data) one round trip sooner.
#pragma once

#include "core/asio.hpp"
#include "metrics/tunnel_metrics.hpp"
#include "net/tcp_stream.hpp"
#include "tls/context.hpp"
#include "tls/send_batch.hpp"
#include "tls/session_store.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace kmr::tls {

struct ssl_deleter {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
using ssl_ptr = std::unique_ptr<SSL, ssl_deleter>;

class stream {
 public:
  // Client: starts the handshake. Returns at once in the early phase when a ticket
  // allows early data (`store` may be null: no resumption), else after the handshake.
  static awaitable<std::tuple<error_code, std::optional<stream>>> connect(tcp::socket socket, SSL_CTX* ctx,
                                                                         const client_settings& settings,
                                                                         session_store* store);

  // Server: returns after the handshake, or as soon as early data has arrived. With
  // `sessions` (the process's first context, after a reload), the connection resumes
  // from that context's session cache while `ctx` gives the certificate and the rest.
  static awaitable<std::tuple<error_code, std::optional<stream>>> accept(tcp::socket socket, SSL_CTX* ctx,
                                                                        SSL_CTX* sessions = nullptr);

  stream(stream&&) noexcept = default;
  stream& operator=(stream&&) noexcept = default;

  awaitable<error_code> wait_readable();
  awaitable<std::tuple<error_code, std::size_t>> read_some(std::span<std::byte> buf);
  awaitable<error_code> write(net::chunk c);
  awaitable<void> send_end_of_stream();
  void abort() noexcept;
  void close() noexcept;
  tcp::socket& socket() noexcept { return socket_; }

  // Client: writes made now leave as early data, with the ClientHello.
  bool in_client_early_phase() const noexcept { return phase_ == phase::client_early && !finishing_; }
  // Early data was sent (client) or received (server) and the peer took it.
  bool early_data_accepted() const noexcept { return early_accepted_; }
  bool resumed() const noexcept { return SSL_session_reused(ssl_.get()) == 1; }
  // Counts the handshake in `counters` (full or resumed, early data, and its duration
  // since `started`) once it has completed: at once, or, for a client in its early phase,
  // when its first read completes it.
  void count_handshake(metrics::tls_counters& counters, std::chrono::steady_clock::time_point started) noexcept;
  // The last TLS failure, from OpenSSL's error queue, for the log.
  const std::string& failure() const noexcept { return failure_; }

 private:
  enum class phase { handshaking, client_early, server_early, established };

  stream(tcp::socket socket, std::unique_ptr<send_batch> out, ssl_ptr ssl);

  // Calls `op` (an SSL call returning > 0 on success) until it succeeds, sending what it
  // wrote and waiting on the socket as OpenSSL asks. Returns the error, with eof for a
  // clean close_notify.
  template <class Op>
  awaitable<error_code> drive(Op op);

  awaitable<error_code> finish_client_early();
  void record_handshake() noexcept;
  awaitable<std::tuple<error_code, std::size_t>> read_server_early(std::span<std::byte> buf);
  std::size_t take_buffered_records(std::span<std::byte> buf);
  awaitable<error_code> write_all(std::span<const std::byte> data);
  error_code send_batched_now() noexcept;  // would_block if bytes remain
  awaitable<error_code> send_written();
  awaitable<error_code> send_batched();
  awaitable<void> wait_for_handshake();
  error_code classify(int ssl_error, int ret);

  tcp::socket socket_;
  std::unique_ptr<send_batch> out_;  // before ssl_: its write BIO points here
  ssl_ptr ssl_;
  phase phase_ = phase::handshaking;
  bool finishing_ = false;   // a read is completing the client handshake; writes wait
  bool early_accepted_ = false;
  bool close_notify_sent_ = false;
  int senders_ = 0;  // operations waiting for room to send the batch
  error_code deferred_read_error_;  // met after a read had bytes; the next read returns it
  std::vector<std::byte> early_sent_;   // client: resent if the server refuses early data
  std::vector<std::byte> early_input_;  // server: early data read during accept()
  std::unique_ptr<asio::steady_timer> handshake_done_;  // wakes writes waiting on finishing_
  std::string failure_;
  metrics::tls_counters* counters_ = nullptr;  // until the handshake is counted
  std::chrono::steady_clock::time_point handshake_started_{};
};

// Defined here because it is a template; used by stream.cpp and stream_io.cpp.
template <class Op>
awaitable<error_code> stream::drive(Op op) {
  for (;;) {
    ERR_clear_error();  // a stale entry would corrupt SSL_get_error
    errno = 0;
    const int ret = op();
    const int err = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), ret);
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      const auto failed = classify(err, ret);  // first: it reads errno and the error queue
      if (failed == asio::error::eof) {
        // The peer's close_notify ends its direction only. The batch may hold records of
        // ours that a write is waiting to send (the peer reads slowly), and our direction
        // goes on: they leave as after a success. Dropped, they left a gap in the record
        // sequence, and the peer failed with "bad record mac" mid-stream.
        if (!out_->empty()) (void)co_await send_written();
        co_return failed;
      }
      (void)send_batched_now();  // the alert OpenSSL wrote, if it can go; the connection is over
      out_->clear();
      co_return failed;
    }
    // What the call wrote leaves first: the peer may need it before it can answer.
    if (!out_->empty()) {
      if (const auto ec = co_await send_written()) co_return ec;
    }
    if (err == SSL_ERROR_NONE) co_return error_code{};
    // WANT_WRITE: the batch was full. It is sent now, or another operation is waiting for
    // room to send it, and so do we.
    const auto wait = err == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
    if (err == SSL_ERROR_WANT_WRITE && out_->empty()) continue;
    auto [ec] = co_await socket_.async_wait(wait, nothrow);
    if (ec) co_return ec;
  }
}

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// The data path of tls::stream: reads, writes, half-close, and the moves out of the early
// (0-RTT) phases.
#include "tls/stream.hpp"

#include "net/socket_options.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kmr::tls {
namespace {

// OpenSSL's read buffer on the data path: four TLS 1.3 records of 16 KiB (16406 bytes with
// header, content type and tag), with slack for TLS 1.2's. With read-ahead, one read(2)
// then takes what one 64 KiB relay write of the peer sent; the default buffer holds one
// record, so it took four. OpenSSL gives it back once drained (SSL_MODE_RELEASE_BUFFERS):
// an idle connection holds none. Below glibc's 128 KiB mmap threshold, so taking it again
// stays cheap.
constexpr std::size_t data_read_buffer_len = 4 * (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_PLAIN_LENGTH + 256);

}  // namespace

awaitable<void> stream::wait_for_handshake() {
  while (finishing_) co_await handshake_done_->async_wait(nothrow);
}

awaitable<error_code> stream::finish_client_early() {
  finishing_ = true;
  auto ec = co_await drive([this] { return SSL_do_handshake(ssl_.get()); });
  finishing_ = false;
  phase_ = phase::established;
  handshake_done_->cancel();
  if (ec) co_return ec;
  if (early_sent_.empty()) {
    record_handshake();
    co_return ec;
  }
  early_accepted_ = SSL_get_early_data_status(ssl_.get()) == SSL_EARLY_DATA_ACCEPTED;
  record_handshake();
  if (!early_accepted_) {
    // Refused (replay protection, a new server key...): the bytes never reached the
    // application on the other side, so they go again, now as ordinary data.
    ec = co_await write_all(early_sent_);
  }
  early_sent_.clear();
  early_sent_.shrink_to_fit();
  co_return ec;
}

void stream::count_handshake(metrics::tls_counters& counters, std::chrono::steady_clock::time_point started) noexcept {
  counters_ = &counters;
  handshake_started_ = started;
  if (phase_ != phase::client_early) record_handshake();
}

void stream::record_handshake() noexcept {
  if (!counters_) return;
  auto& c = *counters_;
  counters_ = nullptr;
  (resumed() ? c.resumed_handshakes : c.full_handshakes).add();
  c.handshake.observe(std::chrono::steady_clock::now() - handshake_started_);
  const bool client = SSL_is_server(ssl_.get()) == 0;
  if (client && early_sent_.empty()) return;  // sent none
  if (client) c.early_data_sent.add();
  if (early_accepted_)
    c.early_data_accepted.add();
  else if (SSL_get_early_data_status(ssl_.get()) == SSL_EARLY_DATA_REJECTED)
    c.early_data_rejected.add();
}

awaitable<std::tuple<error_code, std::size_t>> stream::read_server_early(std::span<std::byte> buf) {
  for (;;) {
    if (!early_input_.empty()) {
      const std::size_t n = std::min(buf.size(), early_input_.size());
      std::memcpy(buf.data(), early_input_.data(), n);
      early_input_.erase(early_input_.begin(), early_input_.begin() + static_cast<std::ptrdiff_t>(n));
      co_return std::tuple{error_code{}, n};
    }
    if (phase_ != phase::server_early) co_return co_await read_some(buf);
    std::size_t n = 0;
    bool finished = false;
    const auto ec = co_await drive([&] {
      const int r = SSL_read_early_data(ssl_.get(), buf.data(), buf.size(), &n);
      if (r == SSL_READ_EARLY_DATA_ERROR) return 0;
      finished = r == SSL_READ_EARLY_DATA_FINISH;
      return 1;
    });
    if (ec) co_return std::tuple{ec, std::size_t{0}};
    if (finished) {
      phase_ = phase::established;  // ordinary reads and writes finish the handshake
      handshake_done_->cancel();
    }
    if (n > 0) co_return std::tuple{error_code{}, n};
  }
}

awaitable<error_code> stream::wait_readable() {
  // Decrypted bytes may already wait inside OpenSSL, and the handshake phases read on
  // their own terms: only an established, drained connection waits on the socket.
  if (phase_ != phase::established || !early_input_.empty() || deferred_read_error_ ||
      SSL_has_pending(ssl_.get()) == 1)
    co_return error_code{};
  auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, nothrow);
  co_return ec;
}

awaitable<std::tuple<error_code, std::size_t>> stream::read_some(std::span<std::byte> buf) {
  if (phase_ == phase::client_early) {
    if (finishing_) {
      co_await wait_for_handshake();
    } else if (const auto ec = co_await finish_client_early()) {
      co_return std::tuple{ec, std::size_t{0}};
    }
  }
  if (phase_ == phase::server_early || !early_input_.empty()) co_return co_await read_server_early(buf);
  if (deferred_read_error_) co_return std::tuple{deferred_read_error_, std::size_t{0}};
  // Set only now, past the handshake: handshakes keep the default buffer (one record),
  // which 2000 held connections showed costs 1 KiB less each (heap high-water mark).
  SSL_set_default_read_buffer_len(ssl_.get(), data_read_buffer_len);
  std::size_t n = 0;
  const auto ec = co_await drive([&] { return SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n); });
  if (ec) co_return std::tuple{ec, std::size_t{0}};
  n += take_buffered_records(buf.subspan(n));
  // Those reads may have written (a ticket, a key update answer).
  if (!out_->empty()) {
    if (const auto send_ec = co_await send_written(); send_ec && !deferred_read_error_)
      deferred_read_error_ = send_ec;
  }
  co_return std::tuple{error_code{}, n};
}

std::size_t stream::take_buffered_records(std::span<std::byte> buf) {
  // SSL_read gives one record per call; the read-ahead buffer often holds several. Taking
  // them all now makes one relay write (one send) of them instead of one per record.
  std::size_t total = 0;
  while (total < buf.size() && SSL_has_pending(ssl_.get()) == 1) {
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int ret = SSL_read_ex(ssl_.get(), buf.data() + total, buf.size() - total, &n);
    if (ret > 0) {
      total += n;
      continue;
    }
    // Only part of a record is there (WANT_READ), or the read wants to write: that waits
    // for the next read_some. An end or error comes after the bytes already taken.
    const int err = SSL_get_error(ssl_.get(), ret);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) deferred_read_error_ = classify(err, ret);
    break;
  }
  return total;
}

error_code stream::send_batched_now() noexcept {
  while (!out_->empty()) {
    const auto bytes = out_->pending();
    const ssize_t n = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      out_->consume(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return asio::error::would_block;
    } else if (errno != EINTR) {
      const error_code ec(errno, boost::system::system_category());
      out_->clear();
      return ec;
    }
  }
  return error_code{};
}

awaitable<error_code> stream::send_written() {
  if (out_->empty()) co_return error_code{};
  const auto ec = send_batched_now();
  // When another operation already waits for room (a write, while this is a read), it
  // sends these bytes too. Waiting here as well would stop the reads, and two tunnel ends
  // both writing and not reading would never move again.
  if (ec != asio::error::would_block || senders_ > 0) co_return ec == asio::error::would_block ? error_code{} : ec;
  co_return co_await send_batched();
}

awaitable<error_code> stream::send_batched() {
  ++senders_;
  for (;;) {
    const auto ec = send_batched_now();
    if (ec != asio::error::would_block) {
      --senders_;
      co_return ec;
    }
    auto [wait_ec] = co_await socket_.async_wait(tcp::socket::wait_write, nothrow);
    if (wait_ec) {
      out_->clear();
      --senders_;
      co_return wait_ec;
    }
  }
}

awaitable<error_code> stream::write_all(std::span<const std::byte> data) {
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex sends all of it or fails.
  std::size_t written = 0;
  co_return co_await drive([&] { return SSL_write_ex(ssl_.get(), data.data(), data.size(), &written); });
}

awaitable<error_code> stream::write(net::chunk c) {
  co_await wait_for_handshake();
  const std::span<const std::byte> data = c.payload;
  if (phase_ == phase::server_early) {
    // 0.5-RTT data: the reply to a request that came as early data leaves before the
    // client's Finished arrives; that is the round trip 0-RTT saves.
    std::size_t written = 0;
    co_return co_await drive([&] { return SSL_write_early_data(ssl_.get(), data.data(), data.size(), &written); });
  }
  if (phase_ == phase::client_early) {
    const auto limit = SSL_SESSION_get_max_early_data(SSL_get0_session(ssl_.get()));
    if (early_sent_.size() + data.size() <= limit) {
      std::size_t written = 0;
      const auto ec = co_await drive(
          [&] { return SSL_write_early_data(ssl_.get(), data.data(), data.size(), &written); });
      if (!ec) early_sent_.insert(early_sent_.end(), data.begin(), data.end());
      co_return ec;
    }
    if (const auto ec = co_await finish_client_early()) co_return ec;  // too much for early data
  }
  co_return co_await write_all(data);
}

awaitable<void> stream::send_end_of_stream() {
  co_await wait_for_handshake();
  // No close_notify before the handshake is complete: the reading side will get there
  // as soon as the client's Finished arrives.
  while (phase_ == phase::server_early) co_await handshake_done_->async_wait(nothrow);
  if (phase_ == phase::client_early && co_await finish_client_early()) co_return;
  // close_notify (SSL_shutdown returns 0 once it is sent and the peer's has not come yet),
  // then a FIN: the original needs both to see a clean end of stream.
  const auto ec = co_await drive([this] {
    const int r = SSL_shutdown(ssl_.get());
    return r >= 0 ? 1 : r;
  });
  if (ec) co_return;
  close_notify_sent_ = true;
  // SSL_MODE_RELEASE_BUFFERS frees the write buffer after application data, but not after
  // an alert: without this, every connection waiting for its peer's close_notify would
  // keep a 16 KiB record buffer for an alert of 24 bytes (a burst of closes doubled the
  // peak, docs/operations.md). Never with read data pending: it lives in that buffer.
  if (SSL_has_pending(ssl_.get()) == 0) SSL_free_buffers(ssl_.get());
  // The FIN must follow every byte: some may still wait in the batch for the operation
  // that is waiting for room to send it.
  if (co_await send_batched()) co_return;
  ::shutdown(socket_.native_handle(), SHUT_WR);
}

void stream::abort() noexcept {
  SSL_set_quiet_shutdown(ssl_.get(), 1);
  net::reset_on_close(socket_);
}

void stream::close() noexcept {
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
// The data path of tls::stream: reads, writes, half-close, and the moves out of the early
// (0-RTT) phases.
#include "tls/stream.hpp"

#include "net/socket_options.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace kmr::tls {

awaitable<void> stream::wait_for_handshake() {
  while (finishing_) co_await handshake_done_->async_wait(nothrow);
}

awaitable<error_code> stream::finish_client_early() {
  finishing_ = true;
  auto ec = co_await drive([this] { return SSL_do_handshake(ssl_.get()); });
  finishing_ = false;
  phase_ = phase::established;
  handshake_done_->cancel();
  if (ec || early_sent_.empty()) co_return ec;
  if (SSL_get_early_data_status(ssl_.get()) == SSL_EARLY_DATA_ACCEPTED) {
    early_accepted_ = true;
  } else {
    // Refused (replay protection, a new server key...): the bytes never reached the
    // application on the other side, so they go again, now as ordinary data.
    ec = co_await write_all(early_sent_);
  }
  early_sent_.clear();
  early_sent_.shrink_to_fit();
  co_return ec;
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
  if (phase_ != phase::established || !early_input_.empty() || SSL_has_pending(ssl_.get()) == 1)
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
  std::size_t n = 0;
  const auto ec = co_await drive([&] { return SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n); });
  co_return std::tuple{ec, ec ? std::size_t{0} : n};
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

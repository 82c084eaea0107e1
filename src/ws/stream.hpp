// SPDX-License-Identifier: MIT
// A WebSocket connection as a relay stream (net/tcp_stream.hpp), over any relay stream:
// the payload of binary frames in, binary frames out. Both directions work in place: a
// read unmasks and compacts the payload inside the caller's buffer, and a write puts the
// frame header in the headroom in front of the payload, so one frame is one write.
#pragma once

#include "core/asio.hpp"
#include "core/error.hpp"
#include "net/splice_stream.hpp"
#include "net/tcp_stream.hpp"
#include "opt/config.hpp"
#include "ws/frame.hpp"
#include "ws/key.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstring>
#include <vector>

namespace kmr::ws {

enum class role { client, server };

template <class Next>
class stream {
 public:
  // `already_read`: bytes that arrived with the handshake's last read, after its header
  // block; they are the start of the frame stream and are decoded first.
  stream(Next next, role r, opt::mask_mode mask, std::vector<std::byte> already_read)
      : next_(std::move(next)), role_(r), mask_(mask), pending_input_(std::move(already_read)),
        write_idle_(next_.socket().get_executor(), std::chrono::steady_clock::time_point::max()) {
    if (role_ == role::client && mask_ == opt::mask_mode::fixed) fill_random(fixed_key_);
  }

  awaitable<error_code> wait_readable() {
    if (!pending_input_.empty() || frames_.closed()) co_return error_code{};
    co_return co_await next_.wait_readable();
  }

  awaitable<std::tuple<error_code, std::size_t>> read_some(std::span<std::byte> buf) {
    for (;;) {
      if (frames_.closed()) co_return std::tuple{error_code(asio::error::eof), std::size_t{0}};
      std::size_t n = take_pending_input(buf);
      if (n == 0) {
        auto [ec, got] = co_await next_.read_some(buf);
        if (got == 0) co_return std::tuple{ec ? ec : error_code(asio::error::eof), std::size_t{0}};
        n = got;
      }
      std::size_t payload = 0;
      if (const auto ec = decode(buf.first(n), payload)) co_return std::tuple{ec, std::size_t{0}};
      if (pong_pending_ && !write_busy_) {
        if (const auto ec = co_await send_pong()) co_return std::tuple{ec, std::size_t{0}};
      }
      if (payload > 0) co_return std::tuple{error_code{}, payload};
      // Only headers or control frames in this read: read again.
    }
  }

  awaitable<error_code> write(net::chunk c) {
    co_await wait_write_idle();
    const bool masked = role_ == role::client;
    const auto len = c.payload.size();
    const std::size_t header_len = header_size_for(len, masked);
    frame_header h{.fin = true, .op = opcode::binary, .mask = std::nullopt, .payload_len = len};
    if (masked) h.mask = next_key();
    std::array<std::byte, max_header_size> header{};
    encode_header(h, header);
    if (masked) apply_mask(c.payload, *h.mask, 0);  // zero key: returns at once

    write_busy_ = true;
    error_code ec;
    if (c.headroom >= header_len) {
      std::byte* start = c.payload.data() - header_len;
      std::memcpy(start, header.data(), header_len);
      ec = co_await next_.write({std::span(start, header_len + len), c.headroom - header_len});
    } else {  // no room in front (not the relay's case): two writes
      ec = co_await next_.write({std::span(header.data(), header_len), 0});
      if (!ec) ec = co_await next_.write({c.payload, 0});
    }
    write_busy_ = false;
    if (!ec && pong_pending_) ec = co_await send_pong();
    write_idle_.cancel();
    co_return ec;
  }

  // Like the original, end of stream is the lower layer's (TCP FIN or TLS close_notify);
  // no Close frame, which a kaminari peer would not echo anyway (kaminari-wire §5.9).
  awaitable<void> send_end_of_stream() {
    co_await wait_write_idle();
    co_await next_.send_end_of_stream();
  }

  // Zero-copy (net/splice_stream.hpp), over plain TCP only; see ws/stream_splice.hpp.
  static constexpr bool over_plain_tcp = std::same_as<Next, net::tcp_stream>;
  awaitable<net::splice_read> splice_out(int pipe_write, std::size_t max)
    requires over_plain_tcp;
  awaitable<error_code> splice_in(int pipe_read, std::size_t n)
    requires over_plain_tcp;
  // Our frames' payload leaves untouched unless a client masks with a real key.
  bool accepts_spliced() const noexcept
    requires over_plain_tcp
  {
    return role_ == role::server || mask_ == opt::mask_mode::skip;
  }

  void abort() noexcept { next_.abort(); }
  void close() noexcept { next_.close(); }
  tcp::socket& socket() noexcept { return next_.socket(); }

 private:
  std::size_t take_pending_input(std::span<std::byte> buf) {
    const std::size_t n = std::min(buf.size(), pending_input_.size());
    if (n == 0) return 0;
    std::memcpy(buf.data(), pending_input_.data(), n);
    pending_input_.erase(pending_input_.begin(), pending_input_.begin() + static_cast<std::ptrdiff_t>(n));
    if (pending_input_.empty()) pending_input_.shrink_to_fit();
    return n;
  }

  // Runs the frame reader over `in` (in place), moving payload to the front of `in`.
  error_code decode(std::span<std::byte> in, std::size_t& payload) {
    std::byte* const out = in.data();
    while (!in.empty()) {
      const step s = frames_.next(in);
      in = in.subspan(s.consumed);
      switch (s.what) {
        case step::kind::data:
          std::memmove(out + payload, s.data.data(), s.data.size());
          payload += s.data.size();
          break;
        case step::kind::ping:
          remember_ping(s.control_payload);
          break;
        case step::kind::pong:  // unsolicited pongs are allowed (RFC 6455 §5.5.3)
        case step::kind::need_more:
          break;
        case step::kind::close:  // end of stream for this direction; deliver what came first
          return {};
        case step::kind::protocol_error:
          return errc::ws_protocol_error;
      }
    }
    return {};
  }

  // Only the latest ping needs an answer (RFC 6455 §5.5.3).
  void remember_ping(std::span<const std::byte> payload) {
    pong_len_ = encode_control(opcode::pong, payload,
                               role_ == role::client ? std::optional(next_key()) : std::nullopt, pong_);
    pong_pending_ = pong_len_ > 0;
  }

  awaitable<error_code> send_pong() {
    pong_pending_ = false;
    write_busy_ = true;
    const auto ec = co_await next_.write({std::span(pong_.data(), pong_len_), 0});
    write_busy_ = false;
    write_idle_.cancel();
    co_return ec;
  }

  awaitable<void> wait_write_idle() {
    while (write_busy_) co_await write_idle_.async_wait(nothrow);
  }

  mask_key next_key() {
    if (mask_ == opt::mask_mode::fixed) return fixed_key_;
    mask_key k{};  // skip: all zero, which the peer can detect and not XOR
    if (mask_ == opt::mask_mode::standard) fill_random(k);
    return k;
  }

  Next next_;
  role role_;
  opt::mask_mode mask_;
  mask_key fixed_key_{};
  frame_reader frames_;
  std::vector<std::byte> pending_input_;
  // A pong waits here while a data frame is being written; frames never interleave.
  std::array<std::byte, max_control_frame_size> pong_{};
  std::size_t pong_len_ = 0;
  bool pong_pending_ = false;
  bool write_busy_ = false;
  asio::steady_timer write_idle_;  // cancelled whenever a write finishes
};

}  // namespace kmr::ws

#include "ws/stream_splice.hpp"  // the zero-copy members' definitions

// SPDX-License-Identifier: MIT
// The zero-copy WebSocket members (ws/stream_splice.hpp), in process: a raw peer on a
// loopback socket sends exactly the frames a test wants, and the product's stream moves
// payload into a pipe with splice_out, or sends from one with splice_in. The relay-level
// behaviour through the binaries is covered by ws_server_test and the interop scripts;
// here each case pins what splice_out answers (moved, copy_needed, end_of_stream...) so a
// regression to copying, or a corrupted payload, fails by name.
#include "core/asio.hpp"
#include "net/splice_pump.hpp"
#include "net/tcp_stream.hpp"
#include "support/deadline.hpp"
#include "support/payload.hpp"
#include "support/tcp_client.hpp"
#include "support/ws_raw.hpp"
#include "ws/stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

namespace kmr {
namespace {

using namespace std::chrono_literals;
using kind = net::splice_read::kind;
using bytes = std::vector<std::uint8_t>;

const ws::mask_key zero_key{};
const ws::mask_key real_key{std::byte{0x12}, std::byte{0x34}, std::byte{0x56}, std::byte{0x78}};

class WsSplice : public ::testing::Test {
 protected:
  void open(ws::role role, opt::mask_mode mask, std::vector<std::byte> already_read = {}) {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer_ = test::connect_tcp("127.0.0.1", acceptor.local_endpoint().port(), test::after(5s));
    ASSERT_TRUE(peer_);
    tcp::socket s = acceptor.accept();
    s.non_blocking(true);
    stream_.emplace(net::tcp_stream(std::move(s)), role, mask, std::move(already_read));
    net::pipe_pool::close(pipe_);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    pipe_ = {fds[0], fds[1]};
  }
  void TearDown() override { net::pipe_pool::close(pipe_); }

  template <class T>
  T run(awaitable<T> op) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    io_.restart();
    io_.run_for(5s);
    EXPECT_TRUE(out.has_value()) << "the operation did not finish within 5 s";
    return out.value_or(T{});
  }

  void send(const bytes& b) { ASSERT_TRUE(test::send_all(peer_.get(), b, test::after(5s))); }

  // splice_out until `want` payload bytes are in hand: moved bytes are taken out of the
  // pipe, copy_needed is served by read_some (as the relay does). Records every answer.
  bytes receive(std::size_t want) {
    bytes got;
    for (int rounds = 0; got.size() < want && rounds < 10'000; ++rounds) {
      const net::splice_read r = run(stream_->splice_out(pipe_.write, 64 * 1024));
      answers_.push_back(r.what);
      if (r.what == kind::moved) {
        const std::size_t before = got.size();
        got.resize(before + r.bytes);
        EXPECT_EQ(::read(pipe_.read, got.data() + before, r.bytes), static_cast<ssize_t>(r.bytes));
      } else if (r.what == kind::would_block) {
        EXPECT_FALSE(run(stream_->wait_readable()));
      } else if (r.what == kind::copy_needed) {
        std::vector<std::byte> buf(64 * 1024);
        auto [ec, n] = run(stream_->read_some(buf));
        EXPECT_FALSE(ec) << ec.message();
        const auto* p = reinterpret_cast<const std::uint8_t*>(buf.data());
        got.insert(got.end(), p, p + n);
      } else {
        break;
      }
    }
    return got;
  }

  bool answered(kind k) const { return std::find(answers_.begin(), answers_.end(), k) != answers_.end(); }

  asio::io_context io_;
  test::socket_fd peer_;
  std::optional<ws::stream<net::tcp_stream>> stream_;
  net::pipe_fds pipe_;
  std::vector<kind> answers_;
};

bytes frame(const bytes& payload, std::optional<ws::mask_key> key = zero_key,
            ws::opcode op = ws::opcode::binary, bool fin = true) {
  return test::make_frame(op, payload, key, fin);
}

TEST_F(WsSplice, ZeroKeyFrames_AreSplicedWhole_NeverCopied) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes payload = test::make_payload(300 * 1024, 1);
  bytes wire;
  for (std::size_t at = 0; at < payload.size(); at += 70'000) {  // 16- and 64-bit lengths
    const auto end = std::min(payload.size(), at + 70'000);
    const bytes part(payload.begin() + static_cast<std::ptrdiff_t>(at), payload.begin() + static_cast<std::ptrdiff_t>(end));
    const bytes f = frame(part);
    wire.insert(wire.end(), f.begin(), f.end());
  }
  send(wire);
  EXPECT_EQ(test::digest_of(receive(payload.size())), test::digest_of(payload));
  EXPECT_FALSE(answered(kind::copy_needed));
}

TEST_F(WsSplice, UnmaskedServerFrames_AreSpliced) {
  open(ws::role::client, opt::mask_mode::skip);
  const bytes payload = test::make_payload(100'000, 2);
  send(frame(payload, std::nullopt));
  EXPECT_EQ(receive(payload.size()), payload);
  EXPECT_FALSE(answered(kind::copy_needed));
}

TEST_F(WsSplice, RealKey_LargeFrameIsCopiedAndUnmasked_ThenSplicingResumes) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes masked = test::make_payload(10'000, 3);
  const bytes plain = test::make_payload(20'000, 4);
  bytes wire = frame(masked, real_key);
  const bytes next = frame(plain);
  wire.insert(wire.end(), next.begin(), next.end());
  send(wire);
  bytes want = masked;
  want.insert(want.end(), plain.begin(), plain.end());
  EXPECT_EQ(receive(want.size()), want);
  EXPECT_TRUE(answered(kind::copy_needed));
}

TEST_F(WsSplice, RealKey_SmallFramesAreUnmaskedIntoThePipe) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes a = test::make_payload(100, 5), b = test::make_payload(7, 6);
  bytes wire = frame(a, real_key);
  const bytes fb = frame(b, real_key);
  wire.insert(wire.end(), fb.begin(), fb.end());
  send(wire);
  bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(receive(want.size()), want);
  // Into the pipe, both: receive() would also have taken them by copying.
  EXPECT_FALSE(answered(kind::copy_needed));
}

TEST_F(WsSplice, HeaderArrivingByteByByte_WaitsThenSplices) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes payload = test::make_payload(1000, 7);
  const bytes wire = frame(payload);
  for (std::size_t i = 0; i < 8; ++i) {  // the 8-byte header (16-bit length, zero key)
    send(bytes{wire[i]});
    ::usleep(2000);
    // Nothing to deliver yet: the byte is taken into the header, then the socket is dry.
    EXPECT_EQ(run(stream_->splice_out(pipe_.write, 64 * 1024)).what, kind::would_block) << "byte " << i;
  }
  send(bytes(wire.begin() + 8, wire.end()));
  EXPECT_EQ(receive(payload.size()), payload);
}

TEST_F(WsSplice, PingBetweenFrames_IsAnsweredWithPong_DataIntact) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes a = test::make_payload(5000, 8), b = test::make_payload(5000, 9);
  const bytes ping_payload{'h', 'i'};
  bytes wire = frame(a);
  for (const auto& f : {frame(ping_payload, real_key, ws::opcode::ping), frame(b)})
    wire.insert(wire.end(), f.begin(), f.end());
  send(wire);
  bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(receive(want.size()), want);
  bytes surplus;
  const auto pong = test::read_control(peer_.get(), surplus, ws::opcode::pong, test::after(5s));
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(*pong, ping_payload);
}

TEST_F(WsSplice, FragmentedMessage_ContinuationsAreSpliced) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes a = test::make_payload(3000, 10), b = test::make_payload(4000, 11);
  bytes wire = frame(a, zero_key, ws::opcode::binary, false);
  const bytes fb = frame(b, zero_key, ws::opcode::continuation, true);
  wire.insert(wire.end(), fb.begin(), fb.end());
  send(wire);
  bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(receive(want.size()), want);
  // Spliced, continuation and all: receive() would also have taken them by copying.
  EXPECT_FALSE(answered(kind::copy_needed));
  EXPECT_GE(std::count(answers_.begin(), answers_.end(), kind::moved), 2);
}

TEST_F(WsSplice, CloseFrame_DeliversWhatCameFirst_ThenEndOfStream) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes a = test::make_payload(10, 12);
  bytes wire = frame(a);
  const bytes close = frame({}, real_key, ws::opcode::close);
  wire.insert(wire.end(), close.begin(), close.end());
  send(wire);
  EXPECT_EQ(receive(a.size()), a);
  EXPECT_EQ(run(stream_->splice_out(pipe_.write, 64 * 1024)).what, kind::end_of_stream);
}

TEST_F(WsSplice, TextFrame_FailsWithProtocolError) {
  open(ws::role::server, opt::mask_mode::skip);
  send(frame({'x'}, zero_key, ws::opcode::text));
  net::splice_read r;
  for (int i = 0; i < 100; ++i) {
    r = run(stream_->splice_out(pipe_.write, 64 * 1024));
    if (r.what != kind::would_block) break;
    ::usleep(1000);
  }
  EXPECT_EQ(r.what, kind::failed);
  EXPECT_EQ(r.error, make_error_code(errc::ws_protocol_error));
}

TEST_F(WsSplice, PeerFinMidFrame_IsEndOfStream) {
  open(ws::role::server, opt::mask_mode::skip);
  const bytes wire = frame(test::make_payload(100, 13));
  send(bytes(wire.begin(), wire.begin() + 50));
  ASSERT_TRUE(test::shutdown_write(peer_.get()));
  EXPECT_EQ(receive(1000).size(), 44u);  // 50 bytes less the 6-byte header, then the end
  EXPECT_EQ(answers_.back(), kind::end_of_stream);
}

TEST_F(WsSplice, BytesThatCameWithTheHandshake_AreCopiedFirst) {
  const bytes early = frame(test::make_payload(20, 14));
  std::vector<std::byte> already(early.size());
  std::memcpy(already.data(), early.data(), early.size());
  open(ws::role::server, opt::mask_mode::skip, std::move(already));
  const bytes later = test::make_payload(2000, 15);
  send(frame(later));
  bytes want = test::make_payload(20, 14);
  want.insert(want.end(), later.begin(), later.end());
  EXPECT_EQ(receive(want.size()), want);
  EXPECT_EQ(answers_.front(), kind::copy_needed);
}

// The sending side: a frame header, then the payload spliced out of the pipe.
class WsSpliceIn : public WsSplice {
 protected:
  // Puts `payload` in the pipe, sends it with splice_in and returns the raw frame bytes
  // the peer reads.
  bytes send_through_pipe(const bytes& payload, std::size_t header_len) {
    EXPECT_EQ(::write(pipe_.write, payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
    EXPECT_FALSE(run(stream_->splice_in(pipe_.read, payload.size())));
    return test::read_exact(peer_.get(), header_len + payload.size(), test::after(5s)).value_or(bytes{});
  }
};

TEST_F(WsSpliceIn, Server_SendsUnmaskedFrame) {
  open(ws::role::server, opt::mask_mode::skip);
  EXPECT_TRUE(stream_->accepts_spliced());
  const bytes payload = test::make_payload(1000, 16);
  const bytes got = send_through_pipe(payload, 4);
  EXPECT_EQ(got, frame(payload, std::nullopt));
}

TEST_F(WsSpliceIn, SkipClient_SendsZeroKeyFrame) {
  open(ws::role::client, opt::mask_mode::skip);
  EXPECT_TRUE(stream_->accepts_spliced());
  const bytes payload = test::make_payload(60'000, 17);
  const bytes got = send_through_pipe(payload, 8);
  EXPECT_EQ(got, frame(payload, zero_key));
}

TEST_F(WsSpliceIn, MaskingClient_DoesNotAcceptSplicedPayload) {
  open(ws::role::client, opt::mask_mode::standard);
  EXPECT_FALSE(stream_->accepts_spliced());
  open(ws::role::client, opt::mask_mode::fixed);
  EXPECT_FALSE(stream_->accepts_spliced());
}

}  // namespace
}  // namespace kmr

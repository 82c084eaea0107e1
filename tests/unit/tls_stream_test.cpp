// SPDX-License-Identifier: MIT
// tls::stream over a real loopback TCP connection, driven step by step on one event loop:
// the states that load produces by chance (a full send buffer while the other direction
// ends) are set up here on purpose.
#include "tls/stream.hpp"  // first: the header must compile on its own

#include "support/payload.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace kmr::test {
namespace {

using namespace std::chrono_literals;

// The smallest kernel buffers (set before connecting, so the window stays small too):
// a few KiB that nobody reads fill the whole path, far less than one 64 KiB write.
void shrink_buffers(int fd) {
  const int bytes = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

// Runs the loop until nothing is ready: every coroutine is then waiting for the peer.
void settle(asio::io_context& io) {
  const auto limit = std::chrono::steady_clock::now() + 10s;
  while (io.poll() > 0 && std::chrono::steady_clock::now() < limit) {
  }
  io.restart();
}

struct tls_link {
  tls_link() {
    auto server_ctx_or = tls::make_server_context({.self_signed_name = "link.test"});
    auto client_ctx_or = tls::make_client_context(client_settings);
    if (!server_ctx_or || !client_ctx_or) throw std::runtime_error("cannot make the TLS contexts");
    server_ctx = std::move(*server_ctx_or);
    client_ctx = std::move(*client_ctx_or);

    const tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
    tcp::acceptor acceptor(io, loopback.protocol());
    shrink_buffers(acceptor.native_handle());  // accepted sockets inherit them
    acceptor.bind(loopback);
    acceptor.listen();
    tcp::socket client_socket(io, loopback.protocol());
    shrink_buffers(client_socket.native_handle());
    client_socket.connect(acceptor.local_endpoint());
    tcp::socket server_socket = acceptor.accept();

    asio::co_spawn(io, tls::stream::accept(std::move(server_socket), server_ctx.get()), [this](auto e, auto r) {
      if (!e && !std::get<0>(r)) server = std::move(std::get<1>(r));
    });
    asio::co_spawn(io, tls::stream::connect(std::move(client_socket), client_ctx.get(), client_settings, nullptr),
                   [this](auto e, auto r) {
                     if (!e && !std::get<0>(r)) client = std::move(std::get<1>(r));
                   });
    io.run_for(10s);
    io.restart();
    if (!server || !client) throw std::runtime_error("no TLS handshake on loopback");
  }

  asio::io_context io{1};
  tls::client_settings client_settings{.sni = "link.test", .insecure = true};
  tls::ssl_ctx_ptr server_ctx;
  tls::ssl_ctx_ptr client_ctx;
  std::optional<tls::stream> server;
  std::optional<tls::stream> client;
};

// Starts `step` on the loop; an exception that escapes it fails the test.
void spawn(asio::io_context& io, awaitable<void> step) {
  asio::co_spawn(io, std::move(step), [](std::exception_ptr e) {
    if (e) ADD_FAILURE() << "a coroutine ended by an exception";
  });
}

// Writes `payload` in 64 KiB pieces (the relay's chunk), then ends the direction.
awaitable<void> write_then_end(tls::stream& s, const std::vector<std::uint8_t>& payload, bool& ended) {
  std::vector<std::byte> piece(64 * 1024);
  for (std::size_t off = 0; off < payload.size(); off += piece.size()) {
    const std::size_t n = std::min(piece.size(), payload.size() - off);
    std::memcpy(piece.data(), payload.data() + off, n);
    if (co_await s.write({std::span(piece.data(), n), 0})) co_return;
  }
  co_await s.send_end_of_stream();
  ended = true;
}

// Reads to the end, digesting; `end` is how the stream ended (eof for a clean end).
awaitable<void> read_to_end(tls::stream& s, digest_builder& digest, std::optional<error_code>& end) {
  std::vector<std::byte> buf(64 * 1024);
  for (;;) {
    if (const auto ec = co_await s.wait_readable()) {
      end = ec;
      co_return;
    }
    auto [ec, n] = co_await s.read_some(buf);
    digest.update({reinterpret_cast<const std::uint8_t*>(buf.data()), n});
    if (ec) {
      end = ec;
      co_return;
    }
  }
}

awaitable<void> end_direction(tls::stream& s, bool& ended) {
  co_await s.send_end_of_stream();
  ended = true;
}

// The peer's close_notify ends only its direction: records of ours that wait in the
// batch for room in the socket (the peer is slow to read) still leave, whole and in order.
// (Under load this dropped them: the peer then failed with "bad record mac".)
TEST(TlsStream, PeersCloseNotifyKeepsOurPendingRecords) {
  tls_link link;
  const auto payload = make_payload(1 << 20, 7);
  bool server_ended = false;
  digest_builder from_client;
  std::optional<error_code> client_direction_end;
  spawn(link.io, write_then_end(*link.server, payload, server_ended));
  spawn(link.io, read_to_end(*link.server, from_client, client_direction_end));
  settle(link.io);
  ASSERT_FALSE(server_ended) << "the client reads nothing yet: the server's writes must be waiting for room";

  // The client ends its direction while the server's records wait for room.
  bool client_ended = false;
  spawn(link.io, end_direction(*link.client, client_ended));
  settle(link.io);
  ASSERT_TRUE(client_ended);
  ASSERT_TRUE(client_direction_end);
  EXPECT_EQ(*client_direction_end, asio::error::eof);
  EXPECT_EQ(from_client.finish().bytes, 0u);

  // Now the client reads: every byte the server wrote, then its clean end.
  digest_builder from_server;
  std::optional<error_code> server_direction_end;
  spawn(link.io, read_to_end(*link.client, from_server, server_direction_end));
  link.io.run_for(30s);
  ASSERT_TRUE(server_direction_end);
  EXPECT_EQ(*server_direction_end, asio::error::eof) << server_direction_end->message() << ": "
                                                     << link.client->failure();
  EXPECT_EQ(from_server.finish(), digest_of(payload));
  EXPECT_TRUE(server_ended);
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "support/echo_check.hpp"

#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace kmr::test {

namespace {

// What the echo of `size` bytes, digested as `expected`, should have been.
::testing::AssertionResult judge_echo(const exchange_result& r, std::size_t size, const digest& expected) {
  if (!r.sent) return ::testing::AssertionFailure() << "could not send all " << size << " bytes and shut down";
  if (r.reply.end != stream_end::eof)
    return ::testing::AssertionFailure() << "echo ended by " << to_string(r.reply.end) << " after "
                                         << r.reply.received.bytes << " of " << size << " bytes";
  if (r.reply.received != expected)
    return ::testing::AssertionFailure() << "echo differs: got " << r.reply.received << ", sent " << expected;
  return ::testing::AssertionSuccess();
}

// Sends `payload` in pieces, each no earlier than its share of the rate allows, then
// shuts down the write side.
bool send_paced(int fd, std::span<const std::uint8_t> payload, std::size_t bytes_per_second, deadline d) {
  constexpr std::size_t piece = 64 * 1024;
  const auto start = clock::now();
  for (std::size_t off = 0; off < payload.size(); off += piece) {
    const auto due = start + std::chrono::duration_cast<clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(off) / bytes_per_second));
    std::this_thread::sleep_until(std::min(due, d));
    if (!send_all(fd, payload.subspan(off, std::min(piece, payload.size() - off)), d)) return false;
  }
  return shutdown_write(fd);
}

}  // namespace

::testing::AssertionResult echoes_payload(const std::string& host, std::uint16_t port, std::size_t size,
                                          std::uint64_t seed, deadline d) {
  try {
    const auto payload = make_payload(size, seed);
    const socket_fd fd = connect_tcp(host, port, d);
    return judge_echo(exchange(fd.get(), payload, d), size, digest_of(payload));
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}

::testing::AssertionResult echoes_on(int fd, std::size_t size, std::uint64_t seed, deadline d) {
  const auto payload = make_payload(size, seed);
  if (!send_all(fd, payload, d)) return ::testing::AssertionFailure() << "could not send " << size << " bytes";
  const auto reply = read_exact(fd, size, d);
  if (!reply) return ::testing::AssertionFailure() << "the echo of " << size << " bytes did not come back whole";
  if (*reply != payload) return ::testing::AssertionFailure() << "the echo of " << size << " bytes differs";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult echoes_paced(const std::string& host, std::uint16_t port, std::size_t size,
                                        std::uint64_t seed, std::size_t bytes_per_second, deadline d) {
  try {
    const auto payload = make_payload(size, seed);
    const socket_fd fd = connect_tcp(host, port, d);
    exchange_result r;
    std::thread sender([&] { r.sent = send_paced(fd.get(), payload, bytes_per_second, d); });
    r.reply = read_to_end(fd.get(), d);
    sender.join();
    return judge_echo(r, size, digest_of(payload));
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}

::testing::AssertionResult closes_without_data(const std::string& host, std::uint16_t port, deadline d) {
  try {
    const socket_fd fd = connect_tcp(host, port, d);
    send_all(fd.get(), make_payload(1000, 1), d);  // may fail once the tunnel has closed
    const auto r = read_to_end(fd.get(), d);
    if (r.received.bytes != 0) return ::testing::AssertionFailure() << r.received.bytes << " bytes came back";
    if (r.end == stream_end::timeout) return ::testing::AssertionFailure() << "the connection stayed open";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}

::testing::AssertionResult echoes_concurrently(const std::string& host, std::uint16_t port, std::size_t count,
                                               const loopback_server& echo, deadline d) {
  // Each connection holds two descriptors here (ours and the echo server's).
  raise_open_file_limit(4 * count + 256);
  const std::size_t already = echo.accepted();
  std::vector<socket_fd> connections;
  try {
    for (std::size_t i = 0; i < count; ++i) connections.push_back(connect_tcp(host, port, d));
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "connection " << connections.size() << ": " << e.what();
  }
  if (!echo.wait_accepted(already + count, d))
    return ::testing::AssertionFailure() << "the echo server accepted " << echo.accepted() - already << " of "
                                         << count << " connections in time";
  // Small payloads fit in the socket buffers, so sending them all before reading any
  // cannot deadlock; distinct seeds catch bytes delivered to the wrong connection.
  std::vector<digest> expected;
  for (std::size_t i = 0; i < count; ++i) {
    const auto payload = make_payload(1000 + 7 * i, 1000 + i);
    expected.push_back(digest_of(payload));
    if (!send_all(connections[i].get(), payload, d) || !shutdown_write(connections[i].get()))
      return ::testing::AssertionFailure() << "send on connection " << i << " failed";
  }
  for (std::size_t i = 0; i < count; ++i) {
    const read_result r = read_to_end(connections[i].get(), d);
    if (r.end != stream_end::eof || r.received != expected[i])
      return ::testing::AssertionFailure() << "connection " << i << ": ended by " << to_string(r.end) << ", got "
                                           << r.received << ", expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace kmr::test

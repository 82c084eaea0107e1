// SPDX-License-Identifier: MIT
#include "support/echo_check.hpp"

#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"

#include <exception>
#include <vector>

namespace kmr::test {

::testing::AssertionResult echoes_payload(const std::string& host, std::uint16_t port, std::size_t size,
                                          std::uint64_t seed, deadline d) {
  try {
    const auto payload = make_payload(size, seed);
    const socket_fd fd = connect_tcp(host, port, d);
    const exchange_result r = exchange(fd.get(), payload, d);
    const digest expected = digest_of(payload);
    if (!r.sent) return ::testing::AssertionFailure() << "could not send all " << size << " bytes and shut down";
    if (r.reply.end != stream_end::eof)
      return ::testing::AssertionFailure() << "echo ended by " << to_string(r.reply.end) << " after "
                                           << r.reply.received.bytes << " of " << size << " bytes";
    if (r.reply.received != expected)
      return ::testing::AssertionFailure() << "echo differs: got " << r.reply.received << ", sent " << expected;
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

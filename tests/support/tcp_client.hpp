// SPDX-License-Identifier: MIT
// Blocking-style loopback client steps, each bounded by a deadline (non-blocking socket
// plus poll), so a tunnel that stalls fails the test instead of hanging it.
#pragma once

#include "support/deadline.hpp"
#include "support/payload.hpp"
#include "support/socket_fd.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kmr::test {

// Connects to a numeric host and port. Throws std::runtime_error (with errno text) on
// refusal, error or timeout: in these tests the tunnel's listener is always expected.
socket_fd connect_tcp(const std::string& host, std::uint16_t port, deadline d);

// The same without throwing, for tests that count outcomes: an empty socket_fd on
// failure, with `error` set to the errno (ECONNREFUSED, ECONNRESET...; ETIMEDOUT when the
// deadline passes).
socket_fd try_connect_tcp(const std::string& host, std::uint16_t port, deadline d, int& error);

// Sends every byte; false on error (reset, broken pipe) or when the deadline passes.
bool send_all(int fd, std::span<const std::uint8_t> bytes, deadline d);

// shutdown(SHUT_WR): the peer sees EOF while this side can still read.
bool shutdown_write(int fd);

// How a read loop ended.
enum class stream_end { eof, reset, timeout, error };
const char* to_string(stream_end e);

struct read_result {
  digest received;  // everything read before the end
  stream_end end = stream_end::error;
};

// Reads and digests until EOF, reset, error or the deadline.
read_result read_to_end(int fd, deadline d);

// Exactly `n` bytes, or nullopt on EOF, error or timeout.
std::optional<std::vector<std::uint8_t>> read_exact(int fd, std::size_t n, deadline d);

// Sends `payload` from a second thread, then shuts down the write side, while this
// thread reads to the end: big payloads cannot deadlock on full socket buffers.
struct exchange_result {
  bool sent = false;  // every byte was sent and the write side shut down
  read_result reply;
};
exchange_result exchange(int fd, std::span<const std::uint8_t> payload, deadline d);

// Blocks until `fd` is readable or has an error/hang-up, or the deadline; true if it
// became ready. Does not consume data.
bool wait_readable(int fd, deadline d);

}  // namespace kmr::test

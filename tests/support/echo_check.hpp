// SPDX-License-Identifier: MIT
// Assertions that bytes survive a trip through the tunnel to an echo server and back.
#pragma once

#include "support/deadline.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace kmr::test {

class loopback_server;

// Connects to host:port, sends make_payload(size, seed) while reading, shuts down the
// write side, and succeeds if the echo that ends in EOF equals the payload.
::testing::AssertionResult echoes_payload(const std::string& host, std::uint16_t port, std::size_t size,
                                          std::uint64_t seed, deadline d);

// On a connection that stays open: sends make_payload(size, seed) and reads the same
// bytes back (the payload must fit in the socket buffers: up to some 100 KiB).
::testing::AssertionResult echoes_on(int fd, std::size_t size, std::uint64_t seed, deadline d);

// As echoes_payload, but sends at about `bytes_per_second` (in 64 KiB pieces), so that
// the transfer spans a chosen stretch of time (a reload, a handover) instead of a blink.
::testing::AssertionResult echoes_paced(const std::string& host, std::uint16_t port, std::size_t size,
                                        std::uint64_t seed, std::size_t bytes_per_second, deadline d);

// The tunnel refuses (e.g. a TLS verification failure behind kaminaric): a connection to
// host:port is closed without a byte of the echo, though it sent some.
::testing::AssertionResult closes_without_data(const std::string& host, std::uint16_t port, deadline d);

// Opens `count` connections at once and waits until `echo` has accepted all of them (so
// all are relayed concurrently), then sends each a distinct payload and checks each echo.
::testing::AssertionResult echoes_concurrently(const std::string& host, std::uint16_t port, std::size_t count,
                                               const loopback_server& echo, deadline d);

}  // namespace kmr::test

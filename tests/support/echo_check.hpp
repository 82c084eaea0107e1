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

// Opens `count` connections at once and waits until `echo` has accepted all of them (so
// all are relayed concurrently), then sends each a distinct payload and checks each echo.
::testing::AssertionResult echoes_concurrently(const std::string& host, std::uint16_t port, std::size_t count,
                                               const loopback_server& echo, deadline d);

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// max-connections when it is not given: what the descriptor limit can hold.
#include "app/connection_limit.hpp"

#include <gtest/gtest.h>

namespace kmr::app {
namespace {

opt::tunnel_config config(bool tls, unsigned threads) {
  opt::tunnel_config c;
  c.threads = threads;
  if (tls) c.tls = opt::tls_config{};
  return c;
}

TEST(ConnectionLimit, SpliceStacksCountTheirPipes_TlsOnlyItsSockets) {
  EXPECT_EQ(descriptors_per_connection(config(false, 1)), 6u);
  EXPECT_EQ(descriptors_per_connection(config(true, 1)), 2u);
  opt::tunnel_config uot;
  uot.uot = opt::uot_config{};
  EXPECT_EQ(descriptors_per_connection(uot), 2u);  // a socket each way, no splice
}

TEST(ConnectionLimit, TheDefaultNeverPromisesMoreDescriptorsThanTheLimit) {
  for (const bool tls : {false, true}) {
    for (const unsigned threads : {1u, 2u, 16u}) {
      for (const long nofile : {16L, 128L, 1024L, 20000L, 1048576L}) {
        const auto c = config(tls, threads);
        const auto n = default_max_connections(nofile, c);
        EXPECT_GE(n, 1u);
        if (n > 1) {
          EXPECT_LE(n * descriptors_per_connection(c), static_cast<std::size_t>(nofile)) << nofile;
        }
        // And the reserve is never more than a quarter: most of the limit is for connections.
        if (nofile >= 1024) {
          EXPECT_GE(n * descriptors_per_connection(c), static_cast<std::size_t>(nofile) / 2) << nofile;
        }
      }
    }
  }
}

TEST(ConnectionLimit, Figures) {
  EXPECT_EQ(default_max_connections(20000, config(true, 2)), (20000u - 64) / 2);
  EXPECT_EQ(default_max_connections(20000, config(false, 2)), (20000u - 64 - 2 * 2 * 64) / 6);
  EXPECT_EQ(default_max_connections(1024, config(false, 2)), (1024u - 256) / 6);
  EXPECT_EQ(default_max_connections(-1, config(false, 2)), 10'000'000u);
}

}  // namespace
}  // namespace kmr::app

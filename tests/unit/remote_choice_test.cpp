// SPDX-License-Identifier: MIT
#include "app/remote_choice.hpp"  // first: the header must be self-contained

#include <gtest/gtest.h>

#include <vector>

using kmr::app::remote_choice;
using kmr::opt::balance_mode;
using namespace std::chrono_literals;

namespace {

using order = std::vector<std::size_t>;

const remote_choice::clock::time_point t0 = remote_choice::clock::time_point{} + 1000h;

// The orders that connection after connection gets from a list of three remotes, all at `now`.
std::vector<order> orders_of(remote_choice& choice, std::size_t connections, balance_mode mode,
                             remote_choice::clock::time_point now) {
  std::vector<order> out;
  for (std::size_t i = 0; i < connections; ++i) out.push_back(choice.candidates(3, mode, now));
  return out;
}

}  // namespace

TEST(RemoteChoice, FailoverKeepsTheListOrder) {
  remote_choice choice;
  EXPECT_EQ(orders_of(choice, 3, balance_mode::failover, t0), (std::vector<order>{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}}));
}

TEST(RemoteChoice, RoundrobinStartsOneFurtherEachConnection) {
  remote_choice choice;
  EXPECT_EQ(orders_of(choice, 4, balance_mode::roundrobin, t0),
            (std::vector<order>{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 1, 2}}));
}

TEST(RemoteChoice, OneRemoteIsAlwaysTried) {
  remote_choice choice;
  choice.candidates(1, balance_mode::roundrobin, t0);
  choice.failed(0, t0, 10s);
  EXPECT_EQ(choice.candidates(1, balance_mode::roundrobin, t0 + 1s), (order{0}));
  EXPECT_EQ(choice.candidates(1, balance_mode::failover, t0 + 1s), (order{0}));
}

TEST(RemoteChoice, FailedRemoteGoesLast_UntilBackoffEnds) {
  remote_choice choice;
  choice.candidates(3, balance_mode::failover, t0);
  choice.failed(0, t0, 10s);
  EXPECT_TRUE(choice.set_aside(0, t0 + 1s));
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 1s), (order{1, 2, 0}));
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 9999ms), (order{1, 2, 0}));
  // Once the backoff is over it is first again, though it never connected meanwhile.
  EXPECT_FALSE(choice.set_aside(0, t0 + 10s));
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 10s), (order{0, 1, 2}));
}

TEST(RemoteChoice, RoundrobinSkipsASetAsideRemote) {
  remote_choice choice;
  choice.candidates(3, balance_mode::roundrobin, t0);  // cursor now at 1
  choice.failed(1, t0, 10s);
  EXPECT_EQ(orders_of(choice, 3, balance_mode::roundrobin, t0),
            (std::vector<order>{{2, 0, 1}, {2, 0, 1}, {0, 2, 1}}));
}

TEST(RemoteChoice, AllSetAside_AllAreTriedInTheUsualOrder) {
  remote_choice choice;
  choice.candidates(3, balance_mode::failover, t0);
  for (std::size_t i = 0; i < 3; ++i) choice.failed(i, t0, 10s);
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 1s), (order{0, 1, 2}));
  choice.failed(2, t0 + 1s, 1h);
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 11s), (order{0, 1, 2}));
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 11s), (order{0, 1, 2}));
  choice.failed(1, t0 + 11s, 1h);
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 12s), (order{0, 1, 2}));
  choice.succeeded(0);
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 12s), (order{0, 1, 2}));
  choice.failed(0, t0 + 12s, 1h);
  choice.succeeded(2);
  EXPECT_EQ(choice.candidates(3, balance_mode::failover, t0 + 13s), (order{2, 0, 1}));
}

TEST(RemoteChoice, SuccessClearsTheSetAside) {
  remote_choice choice;
  choice.candidates(2, balance_mode::failover, t0);
  choice.failed(0, t0, 1h);
  EXPECT_EQ(choice.candidates(2, balance_mode::failover, t0 + 1s), (order{1, 0}));
  choice.succeeded(0);  // e.g. a connection that found 1 down too and reached 0 after all
  EXPECT_FALSE(choice.set_aside(0, t0 + 1s));
  EXPECT_EQ(choice.candidates(2, balance_mode::failover, t0 + 1s), (order{0, 1}));
}

TEST(RemoteChoice, ALaterFailureExtendsTheBackoff) {
  remote_choice choice;
  choice.candidates(2, balance_mode::failover, t0);
  choice.failed(0, t0, 10s);
  choice.failed(0, t0 + 5s, 10s);  // another connection tried it anyway (all others down)
  EXPECT_TRUE(choice.set_aside(0, t0 + 12s));
  EXPECT_FALSE(choice.set_aside(0, t0 + 15s));
}

TEST(RemoteChoice, ANewListSizeStartsAfresh) {
  remote_choice choice;
  choice.candidates(2, balance_mode::roundrobin, t0);
  choice.failed(0, t0, 1h);
  EXPECT_EQ(choice.candidates(3, balance_mode::roundrobin, t0), (order{0, 1, 2}));
  EXPECT_FALSE(choice.set_aside(5, t0));
  choice.failed(5, t0, 1h);  // out of range: ignored
  choice.succeeded(5);
  EXPECT_EQ(choice.candidates(3, balance_mode::roundrobin, t0), (order{1, 2, 0}));
}

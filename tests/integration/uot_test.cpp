// SPDX-License-Identifier: MIT
// UDP over TCP end to end, over every transport: app -UDP-> kaminaric =tunnel=> kaminaris
// -UDP-> echo server, and back. Sizes from 0 B to the largest datagram, 200 flows at
// once each in order, idle expiry (descriptors given back), new tunnels after the
// server side ends, and the flow cap.
#include "support/payload.hpp"
#include "support/tunnel_pair.hpp"
#include "support/udp_peer.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <csignal>
#include <thread>

namespace kmr::test {
namespace {

struct transport {
  const char* name;
  std::string client_options;
  std::string server_options;
};

const std::string ws_common = "ws;host=example.com;path=/dns";
const std::string tls_client = "tls;sni=example.com;insecure";
const std::string tls_server = "tls;servername=example.com";

const transport transports[] = {
    {"plain", "uot", "uot"},
    {"ws", "uot;" + ws_common, "uot;" + ws_common},
    {"tls", "uot;" + tls_client, "uot;" + tls_server},
    {"wss", "uot;" + ws_common + ";" + tls_client, "uot;" + ws_common + ";" + tls_server},
};

class Uot : public ::testing::TestWithParam<transport> {
 protected:
  tunnel_config config_for(const std::string& remote, const std::string& client_extra = "",
                           const std::string& server_extra = "") const {
    return {.remote = remote, .client_options = GetParam().client_options + client_extra,
            .server_options = GetParam().server_options + server_extra};
  }
};

// Sends `payload` and expects exactly it back.
::testing::AssertionResult echoes(udp_client& app, const datagram& payload, deadline d) {
  if (!app.send(payload)) return ::testing::AssertionFailure() << "send of " << payload.size() << " B refused";
  const auto got = app.receive(d);
  if (!got) return ::testing::AssertionFailure() << "no echo of " << payload.size() << " B";
  if (*got != payload)
    return ::testing::AssertionFailure() << "echo of " << payload.size() << " B differs (" << got->size() << " B back)";
  return ::testing::AssertionSuccess();
}

// Waits until the process holds at most `count` descriptors; the last count seen.
int wait_descriptors_at_most(pid_t pid, int count, deadline d) {
  int now = open_descriptors(pid);
  while (now > count && clock::now() < d) {
    std::this_thread::sleep_for(50ms);
    now = open_descriptors(pid);
  }
  return now;
}

// The descriptor count once it has stopped moving: a process just started may hold a
// short-lived one (the sanitizer runtime reads /proc when threads start).
int settled_descriptors(pid_t pid) {
  int last = open_descriptors(pid);
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(50ms);
    const int now = open_descriptors(pid);
    if (now == last) return now;
    last = now;
  }
  return last;
}

TEST_P(Uot, EchoesDatagrams_0B_1B_1400B_65507B) {
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address()));
  udp_client app(tunnel.host(), tunnel.client_port());
  std::uint64_t seed = 500;
  // The first (empty) datagram waits in the flow's queue while its tunnel is set up.
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1400}, std::size_t{65507}})
    ASSERT_TRUE(echoes(app, make_payload(size, ++seed), after(15s))) << tunnel.diagnostics();
  // And in the other order, now that the tunnel is up.
  for (const std::size_t size : {std::size_t{65507}, std::size_t{1400}, std::size_t{1}, std::size_t{0}})
    ASSERT_TRUE(echoes(app, make_payload(size, ++seed), after(15s))) << tunnel.diagnostics();
}

// 200 sources at once, each with a numbered sequence and a few datagrams in flight, so
// that a reordering inside a flow or a mix-up between flows shows.
TEST_P(Uot, Carries200ConcurrentFlows_EachInOrder) {
  constexpr std::uint32_t flows = 200, per_flow = 25, window = 3;
  // Under every kernel buffer on the path (kaminaric's UDP socket is capped by rmem_max):
  // what is tested is the tunnel, not loss in the kernel.
  constexpr std::uint32_t most_in_flight = 64;
  raise_open_file_limit(4096);
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address()));
  const int server_start = settled_descriptors(tunnel.server().pid());
  std::vector<udp_client> apps;
  std::vector<pollfd> polled;
  for (std::uint32_t f = 0; f < flows; ++f) {
    apps.emplace_back(tunnel.host(), tunnel.client_port());
    polled.push_back({apps.back().fd(), POLLIN, 0});
  }
  const auto size_of = [](std::uint32_t f, std::uint32_t seq) { return 8 + (f * 37 + seq * 101) % 400; };
  std::vector<std::uint32_t> sent(flows, 0), received(flows, 0);
  std::uint32_t in_flight = 0, done = 0;
  const deadline d = after(90s);
  while (done < flows) {  // bounded by the deadline
    for (std::uint32_t f = 0; f < flows; ++f) {
      while (sent[f] < per_flow && sent[f] - received[f] < window && in_flight < most_in_flight) {
        ASSERT_TRUE(apps[f].send(numbered_datagram(f, sent[f], size_of(f, sent[f]))));
        ++sent[f];
        ++in_flight;
      }
    }
    ASSERT_LT(clock::now(), d) << done << " of " << flows << " flows complete\n" << tunnel.diagnostics();
    if (::poll(polled.data(), polled.size(), std::min(poll_timeout_ms(d), 1000)) <= 0) continue;
    for (std::uint32_t f = 0; f < flows; ++f) {
      if (polled[f].revents == 0) continue;
      while (const auto got = apps[f].try_receive()) {  // bounded by what the socket holds
        ASSERT_LT(received[f], sent[f]) << "flow " << f << ": an echo nobody sent";
        ASSERT_EQ(*got, numbered_datagram(f, received[f], size_of(f, received[f])))
            << "flow " << f << ", datagram " << received[f] << ": out of order or corrupted";
        --in_flight;
        if (++received[f] == per_flow) ++done;
      }
    }
  }
  // All 200 flows are open at once on the server: a tunnel and a UDP socket each.
  EXPECT_GE(open_descriptors(tunnel.server().pid()), server_start + 2 * static_cast<int>(flows))
      << tunnel.diagnostics();
}

TEST_P(Uot, ExpiresIdleFlows_DescriptorsReturnToTheirStart) {
  constexpr int flows = 10;
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address(), ";udp-timeout=1", ";udp-timeout=1"));
  const pid_t client = tunnel.client().pid(), server = tunnel.server().pid();
  const int client_start = settled_descriptors(client), server_start = settled_descriptors(server);
  const std::string at_start = "--- kaminaric's descriptors at the start\n" + describe_descriptors(client) +
                               "--- kaminaris's\n" + describe_descriptors(server);
  std::vector<udp_client> apps;
  for (int i = 0; i < flows; ++i) apps.emplace_back(tunnel.host(), tunnel.client_port());
  // Two rounds: the second, over tunnels already up, is quick, so every flow is fresh
  // when the descriptors are counted (a slow first round must not expire the first flows).
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < flows; ++i) ASSERT_TRUE(apps[i].send(make_payload(100, i)));
    for (int i = 0; i < flows; ++i)
      ASSERT_EQ(apps[i].receive(after(15s)), make_payload(100, i)) << tunnel.diagnostics();
  }
  const auto last_traffic = clock::now();
  EXPECT_GE(open_descriptors(client), client_start + flows) << describe_descriptors(client) << at_start;
  EXPECT_GE(open_descriptors(server), server_start + 2 * flows) << describe_descriptors(server) << at_start;

  EXPECT_EQ(wait_descriptors_at_most(client, client_start, after(15s)), client_start)
      << describe_descriptors(client) << at_start << tunnel.diagnostics();
  EXPECT_EQ(wait_descriptors_at_most(server, server_start, after(15s)), server_start)
      << describe_descriptors(server) << at_start << tunnel.diagnostics();
  EXPECT_GE(seconds_since(last_traffic), 0.9) << "flows closed before udp-timeout";

  // Forgotten, not broken: the same source gets a new flow (a new socket on the server).
  ASSERT_EQ(echo.source_ports().size(), std::size_t{flows});
  ASSERT_TRUE(echoes(apps[0], make_payload(10, 99), after(15s))) << tunnel.diagnostics();
  EXPECT_EQ(echo.source_ports().size(), std::size_t{flows + 1});
}

TEST_P(Uot, OpensANewTunnel_AfterTheServerEndsTheFlow) {
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address(), ";udp-timeout=60", ";udp-timeout=1"));
  const pid_t client = tunnel.client().pid();
  const int client_start = settled_descriptors(client);
  udp_client app(tunnel.host(), tunnel.client_port());
  ASSERT_TRUE(echoes(app, make_payload(50, 1), after(15s))) << tunnel.diagnostics();
  // The server's idle timeout ends the tunnel; the client forgets the flow at once.
  EXPECT_EQ(wait_descriptors_at_most(client, client_start, after(15s)), client_start) << tunnel.diagnostics();
  ASSERT_TRUE(echoes(app, make_payload(50, 2), after(15s))) << tunnel.diagnostics();
  EXPECT_EQ(echo.source_ports().size(), 2u) << "the second datagram should have had a new flow";
}

TEST_P(Uot, OpensANewTunnel_AfterTheServerIsKilled) {
  udp_echo_server echo;
  auto server = start_binary(server_bin, "127.0.0.1:0", echo.address(), GetParam().server_options);
  const auto client = start_binary(client_bin, "127.0.0.1:0", address_text("127.0.0.1", server.port),
                                   GetParam().client_options);
  udp_client app("127.0.0.1", client.port);
  ASSERT_TRUE(echoes(app, make_payload(50, 1), after(15s))) << client.process->diagnostics();
  const std::uint16_t port = server.port;
  server.process->send_signal(SIGKILL);
  ASSERT_TRUE(server.process->wait_exit(after(5s)));
  server = start_binary(server_bin, address_text("127.0.0.1", port), echo.address(), GetParam().server_options);
  // Datagrams sent before the client sees its tunnel die are lost, as UDP may be; the
  // next ones travel in a new tunnel to the new server.
  bool through = false;
  const deadline d = after(20s);
  for (std::uint64_t seed = 10; !through && clock::now() < d; ++seed) {
    const auto payload = make_payload(60, seed);
    ASSERT_TRUE(app.send(payload));
    // Bounded by the deadline; an echo of an earlier try is skipped.
    for (auto got = app.receive(after(500ms)); got && !through; got = app.receive(after(500ms)))
      through = *got == payload;
  }
  EXPECT_TRUE(through) << client.process->diagnostics() << "\n--- new kaminaris\n" << server.process->diagnostics();
}

// kaminaris is stopped (SIGSTOP), so flow A's tunnel backs up: its queue fills and what
// does not fit is dropped and counted, while kaminaric keeps taking datagrams. Flow B,
// started meanwhile, is not held up by A: once kaminaris runs again, B's datagram (which
// waited in B's own queue) is answered.
TEST_P(Uot, SlowTunnelDropsItsOverflow_OtherFlowsGoOn) {
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address(), ";log=debug;udp-timeout=3"));
  udp_client a(tunnel.host(), tunnel.client_port()), b(tunnel.host(), tunnel.client_port());
  ASSERT_TRUE(echoes(a, make_payload(10, 1), after(15s))) << tunnel.diagnostics();
  ASSERT_TRUE(tunnel.server().send_signal(SIGSTOP));
  const auto big = make_payload(60000, 2);
  for (int i = 0; i < 400; ++i) {  // 24 MB: more than the TCP buffers and A's queue hold
    a.send(big);  // may be refused when the socket buffer is full: fine, the flood goes on
    if (i % 16 == 15) std::this_thread::sleep_for(2ms);
  }
  const auto from_b = make_payload(30, 3);
  ASSERT_TRUE(b.send(from_b));
  EXPECT_TRUE(tunnel.client().wait_for_line_containing("queue is full", after(10s))) << tunnel.diagnostics();
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(tunnel.server().send_signal(SIGCONT));
  bool answered = false;
  // Bounded by the deadline; A's echoes arrive on A's socket, not here.
  for (const deadline d = after(20s); !answered && clock::now() < d;) {
    const auto got = b.receive(d);
    answered = got && *got == from_b;
  }
  EXPECT_TRUE(answered) << tunnel.diagnostics();
  // A's last line counts what it dropped.
  const auto end_of_a = tunnel.client().wait_for_line_containing(std::to_string(a.local_port()) + ": UDP flow ended",
                                                                 after(20s));
  ASSERT_TRUE(end_of_a) << tunnel.diagnostics();
  EXPECT_EQ(end_of_a->find(" 0 dropped"), std::string::npos) << *end_of_a;
}

TEST_P(Uot, DropsNewSourcesBeyondTheFlowCap) {
  udp_echo_server echo;
  tunnel_pair tunnel(config_for(echo.address(), ";udp-max-flows=5;udp-timeout=3"));
  const int client_start = settled_descriptors(tunnel.client().pid());
  std::vector<udp_client> apps;
  for (int i = 0; i < 6; ++i) apps.emplace_back(tunnel.host(), tunnel.client_port());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(echoes(apps[i], make_payload(20, i), after(15s))) << tunnel.diagnostics();
  ASSERT_TRUE(apps[5].send(make_payload(20, 5)));
  EXPECT_FALSE(apps[5].receive(after(500ms))) << "a sixth flow got through\n" << tunnel.diagnostics();
  EXPECT_TRUE(tunnel.client().wait_for_line_containing("udp-max-flows", after(5s))) << tunnel.diagnostics();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(echoes(apps[i], make_payload(20, 10 + i), after(15s))) << i;
  // Once the five have expired, their slots are free again.
  EXPECT_EQ(wait_descriptors_at_most(tunnel.client().pid(), client_start, after(20s)), client_start);
  EXPECT_TRUE(echoes(apps[5], make_payload(20, 20), after(15s))) << tunnel.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(Transports, Uot, ::testing::ValuesIn(transports),
                         [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace kmr::test

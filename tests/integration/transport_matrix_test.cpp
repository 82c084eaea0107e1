// SPDX-License-Identifier: MIT
// The relay's promises, checked over every transport: checksummed echoes from 0 B to
// 64 MiB, half-close in both directions, and many connections at once. A transport joins
// by adding a row to `transports`.
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

namespace kmr::test {
namespace {

struct transport {
  const char* name;
  std::string client_options;
  std::string server_options;
};

const std::string ws_common = "ws;host=example.com;path=/tunnel";
const std::string tls_client = "tls;sni=example.com;insecure";
const std::string tls_server = "tls;servername=example.com";

const transport transports[] = {
    {"plain", "", ""},
    {"ws_skip", ws_common, ws_common},
    {"ws_fixed", ws_common + ";mask=fixed", ws_common},
    {"ws_standard", ws_common + ";mask=standard", ws_common},
    {"tls", tls_client, tls_server},
    {"tls_0rtt", tls_client + ";0rtt", tls_server},
    {"wss", ws_common + ";" + tls_client, ws_common + ";" + tls_server},
    {"wss_standard_0rtt", ws_common + ";mask=standard;0rtt;" + tls_client, ws_common + ";" + tls_server},
};

class TransportMatrix : public ::testing::TestWithParam<transport> {
 protected:
  tunnel_config config_for(const std::string& remote) const {
    return {.remote = remote, .client_options = GetParam().client_options,
            .server_options = GetParam().server_options};
  }
};

TEST_P(TransportMatrix, EchoesPayloads_0B_1B_64KiB_64MiB) {
  loopback_server echo;
  tunnel_pair tunnel(config_for(echo.address()));
  std::uint64_t seed = 100;
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{64} * 1024, std::size_t{64} << 20})
    EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), size, ++seed, after(120s)))
        << size << " bytes\n" << tunnel.diagnostics();
}

TEST_P(TransportMatrix, CarriesHalfClose_ClientFirst) {
  loopback_server remote({.mode = server_mode::read_then_reply, .reply_bytes = 3 << 20, .reply_seed = 11});
  tunnel_pair tunnel(config_for(remote.address()));
  const auto request = make_payload(100 * 1024, 12);
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(send_all(fd.get(), request, after(10s)));
  ASSERT_TRUE(shutdown_write(fd.get()));
  const read_result reply = read_to_end(fd.get(), after(30s));
  EXPECT_EQ(to_string(reply.end), std::string("eof")) << tunnel.diagnostics();
  EXPECT_EQ(reply.received, digest_of(make_payload(3 << 20, 11))) << tunnel.diagnostics();
  const auto records = remote.wait_records(1, after(10s));
  ASSERT_TRUE(records) << tunnel.diagnostics();
  EXPECT_TRUE(records->front().clean_eof);
  EXPECT_EQ(records->front().received, digest_of(request));
}

TEST_P(TransportMatrix, CarriesHalfClose_RemoteFirst) {
  loopback_server remote({.mode = server_mode::reply_then_read, .reply_bytes = 1 << 20, .reply_seed = 21});
  tunnel_pair tunnel(config_for(remote.address()));
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const read_result reply = read_to_end(fd.get(), after(30s));
  ASSERT_EQ(to_string(reply.end), std::string("eof")) << tunnel.diagnostics();
  EXPECT_EQ(reply.received, digest_of(make_payload(1 << 20, 21)));
  const auto upload = make_payload(3 << 20, 22);
  ASSERT_TRUE(send_all(fd.get(), upload, after(30s))) << tunnel.diagnostics();
  ASSERT_TRUE(shutdown_write(fd.get()));
  const auto records = remote.wait_records(1, after(30s));
  ASSERT_TRUE(records) << tunnel.diagnostics();
  EXPECT_TRUE(records->front().clean_eof);
  EXPECT_EQ(records->front().received, digest_of(upload)) << tunnel.diagnostics();
}

TEST_P(TransportMatrix, EchoesDistinctPayloads_200Concurrent) {
  loopback_server echo;
  tunnel_pair tunnel(config_for(echo.address()));
  EXPECT_TRUE(echoes_concurrently(tunnel.host(), tunnel.client_port(), 200, echo, after(60s)))
      << tunnel.diagnostics();
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportMatrix, ::testing::ValuesIn(transports),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace kmr::test

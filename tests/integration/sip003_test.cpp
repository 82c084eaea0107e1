// SPDX-License-Identifier: MIT
// SIP003 plugin mode: addresses and options come from SS_* variables, as shadowsocks
// hosts pass them. The client listens on SS_LOCAL_* and connects to SS_REMOTE_*; the
// server swaps them (listens on SS_REMOTE_*, forwards to SS_LOCAL_*).
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace kmr::test {
namespace {

env_list sip003_env(const std::string& local_host, std::uint16_t local_port, const std::string& remote_host,
                    std::uint16_t remote_port) {
  return {{"SS_LOCAL_HOST", local_host},
          {"SS_LOCAL_PORT", std::to_string(local_port)},
          {"SS_REMOTE_HOST", remote_host},
          {"SS_REMOTE_PORT", std::to_string(remote_port)}};
}

started_binary start_plugin(const std::string& path, std::vector<std::string> args, const env_list& env) {
  return await_listening(std::make_unique<child_process>(path, std::move(args), env));
}

TEST(Sip003, ListensOnLocalConnectsToRemote_Client) {
  loopback_server echo;
  const std::uint16_t local = unused_port();
  auto client = start_plugin(client_bin, {}, sip003_env("127.0.0.1", local, "127.0.0.1", echo.port()));
  EXPECT_EQ(client.port, local) << client.process->diagnostics();
  EXPECT_TRUE(echoes_payload("127.0.0.1", local, 64 * 1024, 1, after(10s))) << client.process->diagnostics();
}

TEST(Sip003, ListensOnRemoteForwardsToLocal_Server) {
  loopback_server echo;
  const std::uint16_t listen = unused_port();
  auto server = start_plugin(server_bin, {}, sip003_env("127.0.0.1", echo.port(), "127.0.0.1", listen));
  EXPECT_EQ(server.port, listen) << server.process->diagnostics();
  EXPECT_TRUE(echoes_payload("127.0.0.1", listen, 64 * 1024, 2, after(10s))) << server.process->diagnostics();
}

TEST(Sip003, IgnoresVersionFlag_OnlyArgument) {
  // Some hosts start plugins with "-V"; in SIP003 mode it must not print-and-exit.
  loopback_server echo;
  const std::uint16_t server_port = unused_port();
  const std::uint16_t client_port = unused_port();
  auto server = start_plugin(server_bin, {"-V"}, sip003_env("127.0.0.1", echo.port(), "127.0.0.1", server_port));
  auto client = start_plugin(client_bin, {"-V"}, sip003_env("127.0.0.1", client_port, "127.0.0.1", server_port));
  EXPECT_TRUE(echoes_payload("127.0.0.1", client_port, 256 * 1024, 3, after(10s)))
      << client.process->diagnostics() << "\n" << server.process->diagnostics();
}

TEST(Sip003, ChainsBothPlugins_Ipv6Hosts) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "this machine cannot bind ::1";
  // Bare "::1" (no brackets) is how shadowsocks passes IPv6 hosts.
  loopback_server echo({.host = "::1"});
  const std::uint16_t server_port = unused_port("::1");
  const std::uint16_t client_port = unused_port("::1");
  auto server = start_plugin(server_bin, {"-V"}, sip003_env("::1", echo.port(), "::1", server_port));
  auto client = start_plugin(client_bin, {"-V"}, sip003_env("::1", client_port, "::1", server_port));
  EXPECT_EQ(client.listen, address_text("::1", client_port));
  EXPECT_EQ(server.listen, address_text("::1", server_port));
  EXPECT_TRUE(echoes_payload("::1", client_port, 256 * 1024, 4, after(10s)))
      << client.process->diagnostics() << "\n" << server.process->diagnostics();
}

TEST(Sip003, ResolvesHostName_Remote) {
  loopback_server echo;
  const std::uint16_t local = unused_port();
  auto client = start_plugin(client_bin, {}, sip003_env("127.0.0.1", local, "localhost", echo.port()));
  EXPECT_TRUE(echoes_payload("127.0.0.1", local, 4096, 5, after(10s))) << client.process->diagnostics();
}

TEST(Sip003, AppliesPluginOptions_Variable) {
  loopback_server echo;
  const std::uint16_t local = unused_port();
  env_list env = sip003_env("127.0.0.1", local, "127.0.0.1", echo.port());
  env.emplace_back("SS_PLUGIN_OPTIONS", "threads=1;log=debug");
  auto client = start_plugin(client_bin, {}, env);
  EXPECT_EQ(client.process->wait_for_line("threads: ", after(startup_budget)).value_or("?"), "1")
      << client.process->diagnostics();
  EXPECT_TRUE(echoes_payload("127.0.0.1", local, 4096, 6, after(10s))) << client.process->diagnostics();
}

TEST(Sip003, RejectsBadPluginOptions_ExitStatus2) {
  const std::uint16_t local = unused_port();
  env_list env = sip003_env("127.0.0.1", local, "127.0.0.1", unused_port());
  env.emplace_back("SS_PLUGIN_OPTIONS", "threads=abc");
  child_process client(client_bin, {}, env);
  const auto status = client.wait_exit(after(5s));
  ASSERT_TRUE(status.has_value()) << client.diagnostics();
  EXPECT_TRUE(status->exited_with(2)) << client.diagnostics();
  EXPECT_NE(client.stderr_text().find("threads"), std::string::npos) << client.diagnostics();
}

}  // namespace
}  // namespace kmr::test

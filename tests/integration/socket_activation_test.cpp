// SPDX-License-Identifier: MIT
// Socket activation (sd_listen_fds(3)): with LISTEN_PID=<its pid> and LISTEN_FDS=1, the
// program accepts on the listening socket it inherited as fd 3 instead of binding, and
// its banner shows that socket's address. Tried with Debian's systemd-socket-activate and
// with the variables and descriptor set up by the test itself.
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/proc_info.hpp"
#include "support/tunnel_pair.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace kmr::test {
namespace {

const std::string socket_activate = "/usr/bin/systemd-socket-activate";

// sh execs the program in its own place, so $$ is the program's PID as sd_listen_fds
// wants it.
const std::string set_listen_pid = "LISTEN_PID=$$ exec \"$0\" \"$@\"";

// Starts `path` with `listening` as its fd 3 and the variables that announce it.
started_binary start_activated(const std::string& path, const socket_fd& listening, const std::string& listen,
                               const std::string& remote) {
  return await_listening(std::make_unique<child_process>(
      "/bin/sh", std::vector<std::string>{"-c", set_listen_pid, path, listen, remote, ""},
      env_list{{"LISTEN_FDS", "1"}}, listening.get()));
}

TEST(SocketActivation, AcceptsOnInheritedSocket_VariablesSetByTest) {
  loopback_server echo;
  std::vector<std::string> hosts{"127.0.0.1"};
  if (ipv6_loopback_available()) hosts.push_back("::1");
  for (const auto& path : {server_bin, client_bin}) {
    for (const auto& host : hosts) {
      SCOPED_TRACE(path + " on " + host);
      // Without SO_REUSEPORT: while it is open nobody can bind this port, so a program
      // that ignored fd 3 and bound <local_addr> itself would fail to start.
      const socket_fd listening = listen_on(host, 0);
      const std::uint16_t port = local_port(listening.get());
      const std::string address = address_text(host, port);
      auto started = start_activated(path, listening, address, echo.address());
      EXPECT_EQ(started.listen, address) << started.process->diagnostics();
      EXPECT_TRUE(echoes_payload(host, port, 1 << 20, 1, after(30s))) << started.process->diagnostics();
      EXPECT_TRUE(echoes_concurrently(host, port, 8, echo, after(30s))) << started.process->diagnostics();
      // The only socket it listens on is the test's own.
      EXPECT_EQ(listening_tcp_inodes(started.process->pid()), std::set<std::uint64_t>{socket_inode(listening.get())})
          << started.process->diagnostics();
      const auto status = started.process->terminate(after(startup_budget));
      ASSERT_TRUE(status) << started.process->diagnostics();
      EXPECT_TRUE(status->exited_with(0)) << started.process->diagnostics();
    }
  }
}

// sd_listen_fds ignores descriptors meant for another process (LISTEN_PID differs):
// then the program binds <local_addr> as usual. (It did so before socket activation.)
TEST(SocketActivation, BindsItself_ListenPidOfAnotherProcess) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "",
                              {{"LISTEN_PID", std::to_string(::getpid())}, {"LISTEN_FDS", "1"}});
  EXPECT_NE(started.port, 0);
  EXPECT_TRUE(echoes_payload("127.0.0.1", started.port, 1 << 20, 1, after(30s))) << started.process->diagnostics();
}

TEST(SocketActivation, AcceptsOnSocketOfSystemdSocketActivate) {
  if (!std::filesystem::exists(socket_activate))
    FAIL() << socket_activate << " is missing: install Debian's systemd package (scripts/install-deps.sh --test)";
  loopback_server echo;
  const std::uint16_t port = unused_port();
  const std::string address = address_text("127.0.0.1", port);
  // Without --accept it passes the listening socket itself, as fd 3, and execs the
  // program in its own process (same PID) only at the first connection attempt.
  child_process activator(socket_activate, {"-l", address, server_bin, address, echo.address(), ""});
  ASSERT_TRUE(activator.wait_for_line("Listening on " + address, after(startup_budget))) << activator.diagnostics();

  // This first connection waits in the backlog while the program starts, then is relayed.
  EXPECT_TRUE(echoes_payload("127.0.0.1", port, 1 << 20, 1, after(startup_budget + 30s))) << activator.diagnostics();
  auto started = await_listening(std::make_unique<child_process>(std::move(activator)));
  EXPECT_EQ(started.listen, address) << started.process->diagnostics();
  EXPECT_TRUE(echoes_concurrently("127.0.0.1", port, 8, echo, after(30s))) << started.process->diagnostics();
  EXPECT_EQ(listening_tcp_inodes(started.process->pid()).size(), 1u) << started.process->diagnostics();
  const auto status = started.process->terminate(after(startup_budget));
  ASSERT_TRUE(status) << started.process->diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << started.process->diagnostics();
}

}  // namespace
}  // namespace kmr::test

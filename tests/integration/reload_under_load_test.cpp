// SPDX-License-Identifier: MIT
// Reloads while connections keep coming: no connection fails, each reload is served at
// once, long transfers across the reloads stay intact, and a storm of SIGHUPs leaves
// the descriptors and the memory where they were.
#include "support/cert_files.hpp"
#include "support/client_loop.hpp"
#include "support/echo_check.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/proc_info.hpp"
#include "support/tls_probe.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <thread>

namespace kmr::test {
namespace {

const cert_spec example_com{.dns_names = {"example.com"}};
const std::string ws_options = "ws;host=example.com;path=/t;";

// Polls (every 100 ms, until the deadline) for `pid` to hold at most `limit` descriptors;
// the last count seen.
std::size_t settle_fds(pid_t pid, std::size_t limit, deadline d) {
  std::size_t n = open_fd_count(pid);
  while (n > limit && clock::now() < d) {
    std::this_thread::sleep_for(100ms);
    n = open_fd_count(pid);
  }
  return n;
}

TEST(ReloadUnderLoad, NoConnectionFails_TenAlternatingReloads) {
  test_pki pki;
  loopback_server echo;
  const leaf a = issue_leaf(pki, example_com), b = issue_leaf(pki, example_com);
  const cert_files files(pki, "server");
  files.write(a.id);
  const std::string client = "tls;sni=example.com;ca=" + pki.ca_file();
  tunnel_pair tls({.remote = echo.address(), .client_options = client, .server_options = files.server_options()});
  tunnel_pair wss({.remote = echo.address(), .client_options = ws_options + client,
                   .server_options = ws_options + files.server_options()});
  tunnel_pair* const pairs[] = {&tls, &wss};

  // 32 MiB at 4 MiB/s: some 8 s each, across all the reloads below.
  auto long_tls = std::async(std::launch::async, [&] {
    return echoes_paced(tls.host(), tls.client_port(), 32 << 20, 1, 4 << 20, after(120s));
  });
  auto long_wss = std::async(std::launch::async, [&] {
    return echoes_paced(wss.host(), wss.client_port(), 32 << 20, 2, 4 << 20, after(120s));
  });
  client_loop tls_loop({.port = tls.client_port(), .threads = 1, .max_connections = 100000, .max_time = 60s,
                        .seed = 3});
  client_loop wss_loop({.port = wss.client_port(), .threads = 1, .max_connections = 100000, .max_time = 60s,
                        .seed = 4});
  ASSERT_TRUE(tls_loop.wait_ok(5, after(10s))) << tls_loop.counts() << "\n" << tls.diagnostics();
  ASSERT_TRUE(wss_loop.wait_ok(5, after(10s))) << wss_loop.counts() << "\n" << wss.diagnostics();

  for (std::size_t i = 1; i <= 10; ++i) {
    SCOPED_TRACE("reload " + std::to_string(i));
    const leaf& next = i % 2 == 1 ? b : a;
    files.write(next.id);
    for (auto* t : pairs) ASSERT_TRUE(t->server().send_signal(SIGHUP));
    for (auto* t : pairs) {
      const auto line = t->server().wait_for_nth_line_containing("reloaded TLS material", i, after(10s));
      ASSERT_TRUE(line) << t->diagnostics();
      EXPECT_NE(line->find("serial " + next.serial + ","), std::string::npos) << *line;
      EXPECT_EQ(served_serial(t->host(), t->server_port(), "example.com", after(10s)), next.serial);
    }
    std::this_thread::sleep_for(300ms);  // some connections with this certificate
  }
  const loop_counts tls_counts = tls_loop.finish(), wss_counts = wss_loop.finish();
  EXPECT_EQ(tls_counts.failures(), 0u) << tls_counts << "\n" << tls.diagnostics();
  EXPECT_EQ(wss_counts.failures(), 0u) << wss_counts << "\n" << wss.diagnostics();
  EXPECT_GE(tls_counts.ok, 20u) << tls_counts;  // the load really ran through the reloads
  EXPECT_GE(wss_counts.ok, 20u) << wss_counts;
  EXPECT_TRUE(long_tls.get()) << tls.diagnostics();
  EXPECT_TRUE(long_wss.get()) << wss.diagnostics();
  for (auto* t : pairs) EXPECT_EQ(count_lines_containing(t->server().stderr_text(), "reload failed"), 0u);
}

TEST(ReloadUnderLoad, StaysUp_SighupStorm_FdsAndMemoryBack) {
  test_pki pki;
  loopback_server echo;
  const leaf a = issue_leaf(pki, example_com);
  const cert_files files(pki, "server");
  files.write(a.id);
  tunnel_pair tunnel({.remote = echo.address(), .client_options = "tls;sni=example.com;ca=" + pki.ca_file(),
                      .server_options = files.server_options()});
  child_process* const both[] = {&tunnel.server(), &tunnel.client()};
  const std::uint16_t port = tunnel.client_port();

  {  // The same load and one reload first, so that pools, caches and whatever a first
     // reload sets up have their working size before the baseline.
    client_loop warm_up({.port = port, .threads = 2, .max_time = 2s});
    for (auto* p : both) ASSERT_TRUE(p->send_signal(SIGHUP));
    for (auto* p : both)
      ASSERT_TRUE(p->wait_for_line_containing("reloaded TLS material", after(10s))) << tunnel.diagnostics();
    const auto counts = warm_up.wait_done();
    ASSERT_EQ(counts.failures(), 0u) << counts << "\n" << tunnel.diagnostics();
  }
  std::this_thread::sleep_for(1s);  // the last connections close
  const std::size_t server_fds = open_fd_count(tunnel.server().pid());
  const std::size_t client_fds = open_fd_count(tunnel.client().pid());
  const std::uint64_t server_rss = vm_rss_kib(tunnel.server().pid());
  const std::uint64_t client_rss = vm_rss_kib(tunnel.client().pid());

  client_loop storm_load({.port = port, .threads = 2, .max_connections = 100000, .max_time = 30s, .seed = 2});
  ASSERT_TRUE(storm_load.wait_ok(10, after(10s))) << storm_load.counts() << "\n" << tunnel.diagnostics();
  for (int i = 0; i < 100; ++i) {  // about a second: some signals coalesce, and that is fine
    for (auto* p : both) p->send_signal(SIGHUP);
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(1s);
  const loop_counts counts = storm_load.finish();
  EXPECT_EQ(counts.failures(), 0u) << counts << "\n" << tunnel.diagnostics();
  for (auto* p : both) {
    ASSERT_TRUE(p->running()) << tunnel.diagnostics();
    EXPECT_TRUE(p->wait_for_nth_line_containing("reloaded TLS material", 2, after(5s))) << tunnel.diagnostics();
    EXPECT_EQ(count_lines_containing(p->stderr_text(), "reload failed"), 0u) << tunnel.diagnostics();
  }
  EXPECT_EQ(served_serial(tunnel.host(), tunnel.server_port(), "example.com", after(10s)), a.serial);

  // Back to the baseline once the load is over (a couple of seconds to settle).
  EXPECT_LE(settle_fds(tunnel.server().pid(), server_fds, after(5s)), server_fds) << tunnel.diagnostics();
  EXPECT_LE(settle_fds(tunnel.client().pid(), client_fds, after(5s)), client_fds) << tunnel.diagnostics();
#ifndef KMR_SANITIZED
  // (Under ASan, freed memory sits in its quarantine and RSS says little; LeakSanitizer's
  // check at exit, below, stands in.)
  constexpr std::uint64_t rss_slack_kib = 30 * 1024;
  EXPECT_LT(vm_rss_kib(tunnel.server().pid()), server_rss + rss_slack_kib) << "baseline " << server_rss << " KiB";
  EXPECT_LT(vm_rss_kib(tunnel.client().pid()), client_rss + rss_slack_kib) << "baseline " << client_rss << " KiB";
#else
  (void)server_rss;
  (void)client_rss;
#endif
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1 << 20, 5, after(30s))) << tunnel.diagnostics();
  for (auto* p : both) {
    const auto status = p->terminate(after(startup_budget));
    ASSERT_TRUE(status) << p->diagnostics();
    EXPECT_TRUE(status->exited_with(0)) << p->diagnostics();
  }
}

}  // namespace
}  // namespace kmr::test

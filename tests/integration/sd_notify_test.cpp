// SPDX-License-Identifier: MIT
// systemd notifications (sd_notify(3)) to NOTIFY_SOCKET: READY=1 once listening;
// RELOADING=1 with MONOTONIC_USEC, then READY=1, on SIGHUP (Type=notify-reload);
// STOPPING=1 on SIGTERM; and WATCHDOG=1 keep-alives when WATCHDOG_USEC asks for them.
#include "support/echo_check.hpp"
#include "support/loopback_server.hpp"
#include "support/notify_socket.hpp"
#include "support/test_pki.hpp"
#include "support/tls_probe.hpp"
#include "support/tunnel_pair.hpp"

#include <time.h>

#include <gtest/gtest.h>

#include <csignal>
#include <functional>

namespace kmr::test {
namespace {

// CLOCK_MONOTONIC in microseconds, the clock MONOTONIC_USEC is read on.
std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// The next notification but WATCHDOG=1, as fields; nullopt if none comes in time.
std::optional<std::map<std::string, std::string>> next_fields(notify_socket& ns, deadline d) {
  const auto message = ns.receive_except_watchdog(d);
  if (!message) return std::nullopt;
  return notify_fields(*message);
}

std::string describe(const std::map<std::string, std::string>& fields) {
  std::string text;
  for (const auto& [k, v] : fields) text += (text.empty() ? "" : "\\n") + k + "=" + v;
  return "\"" + text + "\"";
}

// Proves the program serves on `port` (so READY=1 came once it was listening).
using serving_check = std::function<::testing::AssertionResult(std::uint16_t port)>;

// READY, then (SIGHUP) RELOADING with MONOTONIC_USEC and READY, then (SIGTERM) STOPPING,
// in that order and nothing else but keep-alives.
void check_lifecycle(const std::string& path, const std::string& remote, const std::string& options,
                     const serving_check& serving) {
  notify_socket ns;
  auto started = start_binary(path, "127.0.0.1:0", remote, options, {{"NOTIFY_SOCKET", ns.path()}});
  child_process& p = *started.process;

  auto f = next_fields(ns, after(startup_budget));
  ASSERT_TRUE(f) << "no READY=1\n" << p.diagnostics();
  EXPECT_EQ((*f)["READY"], "1") << describe(*f) << "\n" << p.diagnostics();
  EXPECT_EQ(f->count("RELOADING") + f->count("STOPPING"), 0u) << describe(*f);
  EXPECT_TRUE(serving(started.port)) << p.diagnostics();

  const std::uint64_t before = monotonic_usec();
  ASSERT_TRUE(p.send_signal(SIGHUP));
  f = next_fields(ns, after(10s));
  const std::uint64_t received = monotonic_usec();
  ASSERT_TRUE(f) << "no RELOADING=1 after SIGHUP\n" << p.diagnostics();
  EXPECT_EQ((*f)["RELOADING"], "1") << describe(*f) << "\n" << p.diagnostics();
  ASSERT_TRUE(all_digits((*f)["MONOTONIC_USEC"])) << describe(*f);
  const std::uint64_t stamp = std::stoull((*f)["MONOTONIC_USEC"]);
  EXPECT_GE(stamp, before) << "MONOTONIC_USEC is not the time of this reload";
  EXPECT_LE(stamp, received) << "MONOTONIC_USEC is not the time of this reload";
  f = next_fields(ns, after(10s));
  ASSERT_TRUE(f) << "no READY=1 after RELOADING=1\n" << p.diagnostics();
  EXPECT_EQ((*f)["READY"], "1") << describe(*f) << "\n" << p.diagnostics();
  EXPECT_TRUE(serving(started.port)) << p.diagnostics();

  ASSERT_TRUE(p.send_signal(SIGTERM));
  f = next_fields(ns, after(10s));
  ASSERT_TRUE(f) << "no STOPPING=1 after SIGTERM\n" << p.diagnostics();
  EXPECT_EQ((*f)["STOPPING"], "1") << describe(*f) << "\n" << p.diagnostics();
  const auto status = p.wait_exit(after(startup_budget));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  // Everything it sent is queued by now: nothing after STOPPING.
  const auto extra = ns.receive_except_watchdog(clock::now());
  EXPECT_FALSE(extra) << "after STOPPING=1: \"" << extra.value_or("") << "\"";
}

TEST(SdNotify, ReadyReloadingReadyStopping_TlsServer) {
  test_pki pki;
  loopback_server echo;
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  check_lifecycle(server_bin, echo.address(), "tls;cert=" + files.cert_file + ";key=" + files.key_file,
                  [](std::uint16_t port) -> ::testing::AssertionResult {
                    try {
                      served_serial("127.0.0.1", port, "example.com", after(10s));
                      return ::testing::AssertionSuccess();
                    } catch (const std::exception& e) {
                      return ::testing::AssertionFailure() << e.what();
                    }
                  });
}

TEST(SdNotify, ReadyReloadingReadyStopping_PlainServerAndClient) {
  loopback_server echo;
  for (const auto& path : {server_bin, client_bin}) {
    SCOPED_TRACE(path);
    check_lifecycle(path, echo.address(), "", [](std::uint16_t port) {
      return echoes_payload("127.0.0.1", port, 10000, port, after(10s));
    });
  }
}

TEST(SdNotify, SendsWatchdogKeepAlives_WatchdogUsecSet) {
  loopback_server echo;
  notify_socket ns;
  // No WATCHDOG_PID: the keep-alives are for whoever set WATCHDOG_USEC, i.e. for us.
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "",
                              {{"NOTIFY_SOCKET", ns.path()}, {"WATCHDOG_USEC", "200000"}});
  // Nominally one at least every 100 ms (half the period); counted loosely over 2 s.
  std::size_t keep_alives = 0;
  const deadline end = after(2s);
  for (std::size_t i = 0; i < 100'000 && clock::now() < end; ++i) {
    const auto message = ns.receive(end);
    if (!message) break;
    if (*message == "WATCHDOG=1") ++keep_alives;
  }
  EXPECT_GE(keep_alives, 3u) << started.process->diagnostics();
  EXPECT_TRUE(echoes_payload("127.0.0.1", started.port, 10000, 1, after(10s))) << started.process->diagnostics();
}

}  // namespace
}  // namespace kmr::test

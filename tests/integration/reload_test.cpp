// SPDX-License-Identifier: MIT
// SIGHUP, and reload=watch, re-read the TLS files from the same paths: new connections
// get the new certificate (server) or CA (client) as soon as the "reloaded" line is out,
// live connections go on, and a broken file changes nothing but an error line. The same
// under load, and a storm of signals: reload_under_load_test.cpp.
#include "support/cert_files.hpp"
#include "support/echo_check.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tls_probe.hpp"
#include "support/tunnel_pair.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <functional>

namespace kmr::test {
namespace {

constexpr auto line_budget = 10s;  // for a line that answers a signal or a file change
// Half a day over whole days, so "in N days" is N whether the product rounds or truncates.
const cert_spec example_com{.dns_names = {"example.com"}, .valid_until = 24h * 30 + 12h};

std::string serial_at(std::uint16_t port) { return served_serial("127.0.0.1", port, "example.com", after(10s)); }

// The contract's error line: it blames `option`, names `file`, and says that the
// material in force stays.
::testing::AssertionResult is_reload_error(const std::string& line, const std::string& option,
                                           const std::string& file) {
  const std::string prefix = "error: reload failed: option '" + option + "': ";
  const std::string suffix = "; keeping the TLS material in force";
  if (!line.starts_with(prefix)) return ::testing::AssertionFailure() << "not \"" << prefix << "...\": " << line;
  if (line.find(file, prefix.size()) == std::string::npos)
    return ::testing::AssertionFailure() << "does not name " << file << ": " << line;
  if (!line.ends_with(suffix)) return ::testing::AssertionFailure() << "does not end \"" << suffix << "\": " << line;
  return ::testing::AssertionSuccess();
}

struct Reload : ::testing::Test {
  test_pki pki;
  loopback_server echo;
  cert_files files{pki, "server"};
  std::string client_options(const std::string& ca) const { return "tls;sni=example.com;ca=" + ca; }
  started_binary start_server(const std::string& extra = "", const std::string& listen = "127.0.0.1:0") {
    return start_binary(server_bin, listen, echo.address(), files.server_options() + extra);
  }
};

TEST_F(Reload, LogsCertificate_AtStart) {
  const leaf a = issue_leaf(pki, example_com);
  files.write(a.id);
  auto server = start_server();
  const auto line = server.process->wait_for_line_containing("certificate: subject", after(5s));
  ASSERT_TRUE(line) << server.process->diagnostics();
  EXPECT_EQ(info_message(*line), certificate_summary(a.id.cert.get()) + " (in 30 days)");
  EXPECT_EQ(serial_at(server.port), a.serial);
  // Thirty days left is no reason to warn.
  EXPECT_EQ(count_lines_containing(server.process->stderr_text(), "expires in"), 0u) << server.process->diagnostics();
}

TEST_F(Reload, WarnsOfExpiryWithin14Days_AtStartAndAtReload) {
  const leaf soon = issue_leaf(pki, {.dns_names = {"example.com"}, .valid_until = 24h * 5 + 12h});
  files.write(soon.id);
  auto server = start_server();
  child_process& p = *server.process;
  const std::string warning = "warn: certificate " + files.cert() + " expires in 5 days (";
  EXPECT_TRUE(p.wait_for_line(warning, after(5s))) << p.diagnostics();
  ASSERT_TRUE(p.send_signal(SIGHUP));
  ASSERT_TRUE(p.wait_for_line_containing("reloaded TLS material", after(line_budget))) << p.diagnostics();
  EXPECT_TRUE(p.wait_for_nth_line_containing(warning, 2, after(line_budget))) << p.diagnostics();
}

TEST_F(Reload, ServesNewCertificate_AfterSighup_LiveConnectionGoesOn) {
  const leaf a = issue_leaf(pki, example_com), b = issue_leaf(pki, example_com);
  files.write(a.id);
  tunnel_pair tunnel({.remote = echo.address(), .client_options = client_options(pki.ca_file()),
                      .server_options = files.server_options()});
  EXPECT_EQ(serial_at(tunnel.server_port()), a.serial);
  const socket_fd live = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  ASSERT_TRUE(echoes_on(live.get(), 20000, 1, after(10s))) << tunnel.diagnostics();

  files.write(b.id);
  ASSERT_TRUE(tunnel.server().send_signal(SIGHUP));
  const auto line = tunnel.server().wait_for_line_containing("reloaded TLS material", after(line_budget));
  ASSERT_TRUE(line) << tunnel.diagnostics();
  EXPECT_TRUE(info_message(*line).starts_with("reloaded TLS material: " + certificate_summary(b.id.cert.get())))
      << *line;
  EXPECT_EQ(serial_at(tunnel.server_port()), b.serial);  // at once, for new connections

  // The connection made under the old certificate is not cut.
  EXPECT_TRUE(echoes_on(live.get(), 20000, 2, after(10s))) << tunnel.diagnostics();
  ASSERT_TRUE(shutdown_write(live.get()));
  const auto end = read_to_end(live.get(), after(10s));
  EXPECT_EQ(end.end, stream_end::eof) << tunnel.diagnostics();
  EXPECT_EQ(end.received.bytes, 0u);
  // A new tunnel connection verifies the new certificate (same CA) and relays.
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1 << 20, 3, after(30s))) << tunnel.diagnostics();
}

TEST_F(Reload, KeepsOldCertificate_BrokenKeyOrCertificate) {
  const leaf a = issue_leaf(pki, example_com), b = issue_leaf(pki, example_com), c = issue_leaf(pki, example_com);
  files.write(a.id);
  auto server = start_server();
  child_process& p = *server.process;
  ASSERT_EQ(serial_at(server.port), a.serial);

  struct broken {
    const char* what;
    const char* option;  // the option the error line must blame
    const std::string& file;
    std::function<void()> make;
  };
  const std::vector<broken> cases{
      {"the key of another certificate", "key", files.key(),
       [&] {
         pki.write_certs("server.crt", {b.id.cert.get()});
         pki.write_key("server.key", c.id.key.get());
       }},
      {"a garbage key file", "key", files.key(),
       [&] {
         pki.write_certs("server.crt", {b.id.cert.get()});
         pki.write_file("server.key", "this is not a key\n");
       }},
      {"a garbage certificate file", "cert", files.cert(),
       [&] {
         pki.write_file("server.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
         pki.write_key("server.key", b.id.key.get());
       }},
      {"a missing certificate file", "cert", files.cert(), [&] { std::filesystem::remove(files.cert()); }},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].what);
    cases[i].make();
    ASSERT_TRUE(p.send_signal(SIGHUP));
    const auto line = p.wait_for_nth_line_containing("reload failed", i + 1, after(line_budget));
    ASSERT_TRUE(line) << p.diagnostics();
    EXPECT_TRUE(is_reload_error(*line, cases[i].option, cases[i].file));
    EXPECT_EQ(serial_at(server.port), a.serial) << p.diagnostics();
    ASSERT_TRUE(p.running()) << p.diagnostics();
  }
  EXPECT_EQ(count_lines_containing(p.stderr_text(), "reloaded TLS material"), 0u) << p.diagnostics();

  files.write(b.id);  // repaired: the next reload works
  ASSERT_TRUE(p.send_signal(SIGHUP));
  EXPECT_TRUE(p.wait_for_line_containing("reloaded TLS material", after(line_budget))) << p.diagnostics();
  EXPECT_EQ(serial_at(server.port), b.serial);
}

TEST_F(Reload, KeepsOldMaterial_BadOcspResponse) {
  const leaf a = issue_leaf(pki, example_com), b = issue_leaf(pki, example_com);
  files.write(a.id);
  const std::string ocsp = pki.write_file("server.ocsp", pki.ocsp_good(a.id.cert.get()));
  auto server = start_server(";ocsp=" + ocsp);
  child_process& p = *server.process;
  ASSERT_EQ(serial_at(server.port), a.serial);

  // A good new certificate and key, but a staple that is not DER: nothing of it applies.
  files.write(b.id);
  pki.write_file("server.ocsp", "not an OCSP response");
  ASSERT_TRUE(p.send_signal(SIGHUP));
  const auto line = p.wait_for_line_containing("reload failed", after(line_budget));
  ASSERT_TRUE(line) << p.diagnostics();
  EXPECT_TRUE(is_reload_error(*line, "ocsp", ocsp));
  EXPECT_EQ(serial_at(server.port), a.serial) << p.diagnostics();

  pki.write_file("server.ocsp", pki.ocsp_good(b.id.cert.get()));
  ASSERT_TRUE(p.send_signal(SIGHUP));
  EXPECT_TRUE(p.wait_for_line_containing("reloaded TLS material", after(line_budget))) << p.diagnostics();
  EXPECT_EQ(serial_at(server.port), b.serial);
}

TEST_F(Reload, ClientTrustsNewCa_AfterSighup) {
  test_pki other;  // the server's certificate comes from a CA the client does not trust yet
  const auto theirs = other.write_server("leaf", example_com);
  const std::string trust = pki.write_file("trust.pem", file_contents(pki.ca_file()));
  tunnel_pair tunnel({.remote = echo.address(), .client_options = client_options(trust),
                      .server_options = "tls;cert=" + theirs.cert_file + ";key=" + theirs.key_file});
  EXPECT_TRUE(closes_without_data(tunnel.host(), tunnel.client_port(), after(15s))) << tunnel.diagnostics();

  pki.write_file("trust.pem", file_contents(other.ca_file()));
  ASSERT_TRUE(tunnel.client().send_signal(SIGHUP));
  const auto line = tunnel.client().wait_for_line_containing("reloaded TLS material", after(line_budget));
  ASSERT_TRUE(line) << tunnel.diagnostics();
  EXPECT_EQ(info_message(*line), "reloaded TLS material: ca: " + trust);
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1 << 20, 1, after(30s))) << tunnel.diagnostics();
}

TEST_F(Reload, ClientKeepsOldCa_GarbageOrMissingCaFile) {
  const leaf a = issue_leaf(pki, example_com);
  files.write(a.id);
  const std::string trust = pki.write_file("trust.pem", file_contents(pki.ca_file()));
  auto server = start_server();
  const std::string server_address = address_text("127.0.0.1", server.port);
  auto client = start_binary(client_bin, "127.0.0.1:0", server_address, client_options(trust));
  child_process& p = *client.process;
  ASSERT_TRUE(echoes_payload("127.0.0.1", client.port, 1000, 1, after(10s))) << p.diagnostics();

  const std::vector<std::pair<const char*, std::function<void()>>> cases{
      {"garbage", [&] { pki.write_file("trust.pem", "garbage\n"); }},
      {"missing", [&] { std::filesystem::remove(trust); }},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].first);
    cases[i].second();
    ASSERT_TRUE(p.send_signal(SIGHUP));
    const auto line = p.wait_for_nth_line_containing("reload failed", i + 1, after(line_budget));
    ASSERT_TRUE(line) << p.diagnostics();
    EXPECT_TRUE(is_reload_error(*line, "ca", trust));
    // A new server process has new ticket keys: the client cannot resume a session and
    // must verify the certificate again, against the CA still in force (the one read
    // at start).
    server.process.reset();
    server = start_server("", server_address);
    EXPECT_TRUE(echoes_payload("127.0.0.1", client.port, 1000, 2 + i, after(10s)))
        << p.diagnostics() << "\n--- kaminaris\n" << server.process->diagnostics();
  }
}

TEST(ReloadPlain, LogsNothingToReload_WithoutTls) {
  loopback_server echo;
  for (const auto& path : {server_bin, client_bin}) {
    SCOPED_TRACE(path);
    auto started = start_binary(path, "127.0.0.1:0", echo.address(), "");
    child_process& p = *started.process;
    for (std::size_t i = 1; i <= 3; ++i) {
      ASSERT_TRUE(p.send_signal(SIGHUP));
      const auto line = p.wait_for_nth_line_containing("no TLS material to reload", i, after(line_budget));
      ASSERT_TRUE(line) << p.diagnostics();
      EXPECT_EQ(info_message(*line), "reload: no TLS material to reload");
      EXPECT_TRUE(echoes_payload("127.0.0.1", started.port, 10000, i, after(10s))) << p.diagnostics();
    }
    const auto status = p.terminate(after(5s));
    ASSERT_TRUE(status) << p.diagnostics();
    EXPECT_TRUE(status->exited_with(0)) << p.diagnostics();
  }
}

TEST_F(Reload, WatchReloadsServer_RenameIntoPlaceAndOverwrite) {
  const leaf a = issue_leaf(pki, example_com), b = issue_leaf(pki, example_com);
  files.write(a.id);
  auto server = start_server(";reload=watch");
  child_process& p = *server.process;
  ASSERT_EQ(serial_at(server.port), a.serial);
  const auto reloaded_to = [](const leaf& l) {
    return "reloaded TLS material: " + certificate_summary(l.id.cert.get());
  };
  // A line "reload failed" between the cert's rename and the key's is allowed: the
  // watcher may look at the pair half replaced. What counts is that it ends on the pair.
  files.rename_into_place(b.id);
  EXPECT_TRUE(p.wait_for_line_containing(reloaded_to(b), after(line_budget))) << p.diagnostics();
  EXPECT_EQ(serial_at(server.port), b.serial);
  // Again: a watch on the replaced file itself would have gone with the old inode.
  files.rename_into_place(a.id);
  EXPECT_TRUE(p.wait_for_line_containing(reloaded_to(a), after(line_budget))) << p.diagnostics();
  EXPECT_EQ(serial_at(server.port), a.serial);
  // A plain overwrite in place.
  files.write(b.id);
  EXPECT_TRUE(p.wait_for_nth_line_containing(reloaded_to(b), 2, after(line_budget))) << p.diagnostics();
  EXPECT_EQ(serial_at(server.port), b.serial);
}

TEST_F(Reload, WatchReloadsClientCa_RenameIntoPlace) {
  test_pki other;
  const auto theirs = other.write_server("leaf", example_com);
  const std::string trust = pki.write_file("trust.pem", file_contents(pki.ca_file()));
  tunnel_pair tunnel({.remote = echo.address(), .client_options = client_options(trust) + ";reload=watch",
                      .server_options = "tls;cert=" + theirs.cert_file + ";key=" + theirs.key_file});
  EXPECT_TRUE(closes_without_data(tunnel.host(), tunnel.client_port(), after(15s))) << tunnel.diagnostics();

  replace_file(trust, file_contents(other.ca_file()));
  const auto line = tunnel.client().wait_for_line_containing("reloaded TLS material", after(line_budget));
  ASSERT_TRUE(line) << tunnel.diagnostics();
  EXPECT_EQ(info_message(*line), "reloaded TLS material: ca: " + trust);
  EXPECT_TRUE(echoes_payload(tunnel.host(), tunnel.client_port(), 1 << 20, 1, after(30s))) << tunnel.diagnostics();
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
// The runtime snapshot: the layer stack composed once from the options, the TLS material
// read and described, and a rebuilt snapshot (a reload) that keeps the ticket keys.
#include "app/runtime.hpp"  // first: the header must be self-contained

#include "opt/config.hpp"
#include "support/test_pki.hpp"

#include <gtest/gtest.h>


namespace kmr::app {
namespace {

opt::tunnel_config config_of(std::string_view options, opt::side role) {
  auto parsed = opt::plugin_options::parse(options);
  EXPECT_TRUE(parsed) << options;
  auto c = opt::make_config(role, {"127.0.0.1", 1}, {{"127.0.0.1", 2}}, *parsed);
  EXPECT_TRUE(c) << options << ": " << (c ? "" : c.error().message);
  return c ? *c : opt::tunnel_config{};
}

runtime_ptr runtime_of(std::string_view options, opt::side role) {
  auto r = make_runtime(config_of(options, role));
  EXPECT_TRUE(r) << options << ": " << (r ? "" : r.error().key + ": " + r.error().message);
  return r ? *r : nullptr;
}

TEST(Runtime, ComposesEachLayerStackOnce) {
  EXPECT_TRUE(std::holds_alternative<plain_stack>(runtime_of("", opt::side::client)->stack));
  const auto ws = runtime_of("ws;host=a.example;path=/w", opt::side::server);
  ASSERT_TRUE(std::holds_alternative<ws_stack>(ws->stack));
  EXPECT_EQ(std::get<ws_stack>(ws->stack).ws.path, "/w");
  const auto tls = runtime_of("tls;sni=a.example", opt::side::client);
  ASSERT_TRUE(std::holds_alternative<tls_stack>(tls->stack));
  EXPECT_NE(tls_of(*tls)->ssl_ctx, nullptr);
  EXPECT_EQ(tls_of(*tls)->client.sni, "a.example");
  const auto wss = runtime_of("ws;host=a.example;path=/w;tls;servername=a.example", opt::side::server);
  ASSERT_TRUE(std::holds_alternative<wss_stack>(wss->stack));
  EXPECT_NE(tls_of(*wss)->ssl_ctx, nullptr);
  EXPECT_EQ(tls_of(*runtime_of("ws;host=a;path=/", opt::side::client)), nullptr);
}

TEST(Runtime, NamesTheFilesAReloadReads) {
  test::test_pki pki;
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  const auto server = runtime_of("tls;cert=" + files.cert_file + ";key=" + files.key_file, opt::side::server);
  EXPECT_EQ(server->tls_files, (std::vector<std::string>{files.cert_file, files.key_file}));
  EXPECT_EQ(server->tls_description.rfind("certificate: subject CN=example.com, serial ", 0), 0u)
      << server->tls_description;
  EXPECT_TRUE(server->expiry_warning.empty()) << server->expiry_warning;  // good for 30 days

  const auto client = runtime_of("tls;sni=example.com;ca=" + pki.ca_file(), opt::side::client);
  EXPECT_EQ(client->tls_files, std::vector<std::string>{pki.ca_file()});
  EXPECT_EQ(client->tls_description, "ca: " + pki.ca_file());
  // servername= makes its certificate at start-up: nothing to read again.
  EXPECT_TRUE(runtime_of("tls;servername=example.com", opt::side::server)->tls_files.empty());
}

TEST(Runtime, WarnsOfACertificateThatExpiresWithin14Days) {
  test::test_pki pki;
  const auto files = pki.write_server("soon", {.dns_names = {"example.com"}, .valid_until = std::chrono::hours(24 * 5)});
  const auto r = runtime_of("tls;cert=" + files.cert_file + ";key=" + files.key_file, opt::side::server);
  EXPECT_NE(r->expiry_warning.find(files.cert_file), std::string::npos) << r->expiry_warning;
  EXPECT_NE(r->expiry_warning.find("expires in 4 days"), std::string::npos) << r->expiry_warning;
}

TEST(Runtime, RefusesAKeyOfAnotherCertificate_NamingTheKey) {
  test::test_pki pki;
  const auto a = pki.write_server("a", {.dns_names = {"example.com"}});
  const auto b = pki.write_server("b", {.dns_names = {"example.com"}});
  auto r = make_runtime(config_of("tls;cert=" + a.cert_file + ";key=" + b.key_file, opt::side::server));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().key, "key");
}

TEST(Runtime, ARebuiltSnapshotResumesFromTheFirstContext) {
  test::test_pki pki;
  const auto files = pki.write_server("leaf", {.dns_names = {"example.com"}});
  const auto config = config_of("tls;cert=" + files.cert_file + ";key=" + files.key_file, opt::side::server);
  auto first = make_runtime(config);
  ASSERT_TRUE(first);
  auto reloaded = make_runtime(config, first->get());
  auto again = make_runtime(config, reloaded->get());
  ASSERT_TRUE(reloaded && again);
  const auto* original = tls_of(**first);
  EXPECT_EQ(original->session_ctx, original->ssl_ctx);
  EXPECT_NE(tls_of(**reloaded)->ssl_ctx, original->ssl_ctx);  // the new certificate's context
  EXPECT_EQ(tls_of(**reloaded)->session_ctx, original->ssl_ctx);
  EXPECT_EQ(tls_of(**again)->session_ctx, original->ssl_ctx);
}

}  // namespace
}  // namespace kmr::app

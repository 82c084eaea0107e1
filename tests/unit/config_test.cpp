// SPDX-License-Identifier: MIT
#include "opt/config.hpp"  // first: the header must be self-contained

#include "opt/option_table.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace std::chrono_literals;
using kmr::opt::make_config;
using kmr::opt::plugin_options;
using kmr::opt::side;

namespace {

kmr::expected<kmr::opt::tunnel_config, kmr::opt::option_error> config_of(std::string_view text,
                                                                       side role = side::client) {
  auto options = plugin_options::parse(text);
  EXPECT_TRUE(options) << text;
  return make_config(role, {"127.0.0.1", 1}, {{"127.0.0.1", 2}}, *options);
}

std::string failing_key(std::string_view text) {
  auto c = config_of(text);
  EXPECT_FALSE(c) << text;
  return c ? std::string("<accepted>") : c.error().key;
}

}  // namespace

TEST(Config, EmptyOptionsMeanPlainTcpWithDefaults) {
  auto c = config_of("");
  ASSERT_TRUE(c);
  EXPECT_GE(c->threads, 1u);
  EXPECT_EQ(c->log_level, kmr::log::level::info);
  EXPECT_EQ(c->limits.connect_timeout, 10s);
  EXPECT_EQ(c->limits.idle_timeout, 0s);
  EXPECT_EQ(c->limits.half_close_timeout, 60s);
  EXPECT_EQ(c->limits.keepalive, 60s);
  EXPECT_TRUE(c->ignored_items.empty());
  EXPECT_EQ(kmr::opt::layer_label(*c), "[plain]");
}

TEST(Config, ReadsEveryOption) {
  auto c = config_of("threads=3;log=debug;connect-timeout=2.5;idle-timeout=5m;"
                     "half-close-timeout=30s;keepalive=0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->threads, 3u);
  EXPECT_EQ(c->log_level, kmr::log::level::debug);
  EXPECT_EQ(c->limits.connect_timeout, 2500ms);
  EXPECT_EQ(c->limits.idle_timeout, 5min);
  EXPECT_EQ(c->limits.half_close_timeout, 30s);
  EXPECT_EQ(c->limits.keepalive, 0s);
}

TEST(Config, RejectsBadValuesNamingTheOption) {
  EXPECT_EQ(failing_key("threads=0"), "threads");
  EXPECT_EQ(failing_key("threads=257"), "threads");
  EXPECT_EQ(failing_key("threads=2x"), "threads");
  EXPECT_EQ(failing_key("threads=-1"), "threads");
  EXPECT_EQ(failing_key("log=loud"), "log");
  EXPECT_EQ(failing_key("connect-timeout=0"), "connect-timeout");
  EXPECT_EQ(failing_key("connect-timeout=-1"), "connect-timeout");
  EXPECT_EQ(failing_key("idle-timeout=soon"), "idle-timeout");
  EXPECT_EQ(failing_key("half-close-timeout=0"), "half-close-timeout");
  EXPECT_EQ(failing_key("keepalive=100ms"), "keepalive");
}

TEST(Config, RejectsValueOptionsWithoutValue) {
  EXPECT_EQ(failing_key("threads"), "threads");
  EXPECT_EQ(failing_key("log"), "log");
}

TEST(Config, EmptyValueCountsAsAbsent) {
  auto c = config_of("threads=;log=");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->log_level, kmr::log::level::info);
}

TEST(Config, ReadsUotWithDefaults) {
  auto c = config_of("uot");
  ASSERT_TRUE(c && c->uot);
  EXPECT_EQ(c->uot->udp_timeout, 20s);  // the original's
  EXPECT_EQ(c->uot->max_flows, 1024u);
  EXPECT_EQ(kmr::opt::layer_label(*c), "[plain]");  // the original's layer line has no uot
  EXPECT_FALSE(config_of("")->uot);
}

TEST(Config, ReadsUotOptions_WithEveryLayer) {
  auto c = config_of("uot;udp-timeout=1.5;udp-max-flows=5;ws;host=a;path=/dns;tls;sni=a", side::client);
  ASSERT_TRUE(c && c->uot && c->ws && c->tls);
  EXPECT_EQ(c->uot->udp_timeout, 1500ms);
  EXPECT_EQ(c->uot->max_flows, 5u);
  auto server = config_of("uot;udp-timeout=2m;ws;host=a;path=/dns;tls;servername=a", side::server);
  ASSERT_TRUE(server && server->uot);
  EXPECT_EQ(server->uot->udp_timeout, 2min);
  // Without uot the values are known, so accepted quietly (one string for every set-up).
  auto plain = config_of("udp-timeout=5;udp-max-flows=3");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->uot);
  EXPECT_TRUE(plain->ignored_items.empty());
}

TEST(Config, RejectsBadUotValuesNamingTheOption) {
  EXPECT_EQ(failing_key("uot=1"), "uot");
  EXPECT_EQ(failing_key("uot;udp-timeout=0"), "udp-timeout");
  EXPECT_EQ(failing_key("uot;udp-timeout=soon"), "udp-timeout");
  EXPECT_EQ(failing_key("uot;udp-timeout"), "udp-timeout");
  EXPECT_EQ(failing_key("uot;udp-max-flows=0"), "udp-max-flows");
  EXPECT_EQ(failing_key("uot;udp-max-flows=1000001"), "udp-max-flows");
  EXPECT_EQ(failing_key("uot;udp-max-flows=12x"), "udp-max-flows");
  EXPECT_EQ(failing_key("uot;udp-max-flows=-1"), "udp-max-flows");
}

TEST(Config, ReadsTlsClientOptions_Kaminari14_1) {
  auto c = config_of("tls;sni=a.b.c;alpn=h2, http/1.1;insecure;0rtt;ca=/etc/ca.pem");
  ASSERT_TRUE(c && c->tls);
  EXPECT_EQ(c->tls->sni, "a.b.c");
  EXPECT_EQ(c->tls->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_TRUE(c->tls->insecure);
  EXPECT_TRUE(c->tls->early_data);
  EXPECT_EQ(c->tls->ca_file, "/etc/ca.pem");
  EXPECT_EQ(kmr::opt::layer_label(*c), "[tls][plain]");
  EXPECT_EQ(c->warnings.size(), 1u);  // insecure is said aloud once
}

TEST(Config, TlsClientNeedsSni) { EXPECT_EQ(failing_key("tls;alpn=h2"), "sni"); }

TEST(Config, ReadsTlsSessionCacheBoundOnTheServer) {
  auto fallback = config_of("tls;servername=x", side::server);
  ASSERT_TRUE(fallback && fallback->tls);
  EXPECT_EQ(fallback->tls->session_cache, 1024u);
  auto set = config_of("tls;servername=x;tls-session-cache=64", side::server);
  ASSERT_TRUE(set && set->tls);
  EXPECT_EQ(set->tls->session_cache, 64u);
  for (const auto* bad : {"0", "1000001", "12x", "-1", "many"}) {
    auto c = config_of(std::string("tls;servername=x;tls-session-cache=") + bad, side::server);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().key, "tls-session-cache") << bad;
  }
  // A server option: the client, given the same string under SIP003, accepts it quietly.
  auto client = config_of("tls;sni=a;tls-session-cache=0");
  ASSERT_TRUE(client && client->tls);
  EXPECT_TRUE(client->ignored_items.empty());
}

TEST(Config, ReadsTlsServerCredentials_Kaminari14_1) {
  auto pair = config_of("tls;key=/a;cert=/b;servername=;", side::server);
  ASSERT_TRUE(pair && pair->tls);
  EXPECT_EQ(pair->tls->cert_file, "/b");
  EXPECT_EQ(pair->tls->key_file, "/a");
  EXPECT_EQ(pair->tls->self_signed_name, "");
  auto self = config_of("tls;key=;cert=;servername=x", side::server);
  ASSERT_TRUE(self && self->tls);
  EXPECT_EQ(self->tls->self_signed_name, "x");
  auto missing = config_of("tls;key=/a;", side::server);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().key, "cert");
  EXPECT_FALSE(config_of("tls", side::server));
}

TEST(Config, LabelsWssLikeTheOriginal) {
  auto c = config_of("ws;host=a;path=/;tls;sni=a");
  ASSERT_TRUE(c);
  EXPECT_EQ(kmr::opt::layer_label(*c), "[ws][tls][plain]");
}

TEST(Config, RejectsFlagsWithValues_UnlikeTheOriginal) {
  // The original ignores "tls=true" and silently runs without TLS.
  EXPECT_EQ(failing_key("tls=true"), "tls");
  EXPECT_EQ(failing_key("ws=1"), "ws");
}

TEST(Config, IgnoresUnknownItemsOnceAndReportsThem) {
  auto c = config_of("mux=0;loglevel=none;mux=0;fast-open;=x");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ignored_items, (std::vector<std::string>{"mux=0", "loglevel=none", "fast-open", "=x"}));
}

TEST(Config, AcceptsTheOriginalsLayerOptionsQuietly) {
  // One option string is shared by both ends: client-only keys on the server are normal.
  auto c = config_of("host=a;path=/;mask=fixed;sni=a;alpn=h2;0rtt;insecure;cert=c;key=k;"
                     "servername=s;ocsp=o", side::server);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->ignored_items.empty());
}

TEST(Config, MatchesKeysExactly) {
  // "threadsx=0" is not "threads": the original's prefix match would have read it.
  auto c = config_of("threadsx=0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ignored_items, std::vector<std::string>{"threadsx=0"});
}

TEST(Config, ReadsWebSocketOptions) {
  auto c = config_of("ws;host=example.com;path=/ws");
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->ws);
  EXPECT_EQ(c->ws->host, "example.com");
  EXPECT_EQ(c->ws->path, "/ws");
  EXPECT_EQ(c->ws->mask, kmr::opt::mask_mode::skip);
  EXPECT_EQ(kmr::opt::layer_label(*c), "[ws][plain]");
}

TEST(Config, WebSocketNeedsHostAndPath_Kaminari14_1) {
  // kaminari-wire §14.1: "ws;host=a.b.c" is fatal; so is a missing host.
  EXPECT_EQ(failing_key("ws;host=a.b.c"), "path");
  EXPECT_EQ(failing_key("ws;path=/"), "host");
  EXPECT_EQ(failing_key("ws;host=;path=/"), "host");  // empty counts as absent
}

TEST(Config, ReadsMaskModes_UnknownMeansSkip) {
  const auto mask_of = [](std::string_view extra) {
    auto c = config_of(std::string("ws;host=a;path=/;") + std::string(extra));
    EXPECT_TRUE(c && c->ws);
    return c->ws->mask;
  };
  EXPECT_EQ(mask_of("mask=fixed"), kmr::opt::mask_mode::fixed);
  EXPECT_EQ(mask_of("mask=standard"), kmr::opt::mask_mode::standard);
  EXPECT_EQ(mask_of("mask=skip"), kmr::opt::mask_mode::skip);
  EXPECT_EQ(mask_of("mask=skipped"), kmr::opt::mask_mode::skip);  // the seed README's spelling
  EXPECT_EQ(mask_of("mask=Standard"), kmr::opt::mask_mode::skip);  // exact, as in the original
  auto c = config_of("ws;host=a;path=/;mask=bogus");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->warnings.size(), 1u);  // said aloud, unlike the original
}

TEST(Config, ReadsFallbackOnTheServerOnly) {
  auto server = config_of("ws;host=a;path=/;fallback=127.0.0.1:8080", side::server);
  ASSERT_TRUE(server && server->ws && server->ws->fallback);
  EXPECT_EQ(server->ws->fallback->to_string(), "127.0.0.1:8080");
  auto client = config_of("ws;host=a;path=/;fallback=127.0.0.1:8080", side::client);
  ASSERT_TRUE(client && client->ws);
  EXPECT_FALSE(client->ws->fallback);
  EXPECT_TRUE(config_of("ws;host=a;path=/;fallback=nowhere", side::client));  // client ignores it
  auto bad = config_of("ws;host=a;path=/;fallback=nowhere", side::server);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().key, "fallback");
}

TEST(Config, ReadsHandshakeTimeout) {
  auto c = config_of("handshake-timeout=3s");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->handshake_timeout, 3s);
  EXPECT_EQ(failing_key("handshake-timeout=0"), "handshake-timeout");
}

namespace {

// A valid value for every option of the table, so that one string can hold them all.
// A row added to the table without a sample here fails TableOptions.*; a key read by
// make_config but missing from the table does not even compile (known_key).
const std::map<std::string_view, std::string_view> sample_values = {
    {"accept-proxy", ""}, {"trusted", "127.0.0.1,10.0.0.0/8"}, {"proxy-protocol", "v2"}, {"balance", "roundrobin"},
    {"backoff", "7s"},
    {"ws", ""}, {"host", "a.example"}, {"path", "/t"}, {"mask", "fixed"}, {"fallback", "127.0.0.1:8080"},
    {"tls", ""}, {"sni", "a.example"}, {"alpn", "h2"}, {"insecure", ""}, {"ca", "/etc/ca.pem"}, {"0rtt", ""},
    {"cert", "/c.pem"}, {"key", "/k.pem"}, {"servername", "s.example"}, {"ocsp", "/o.der"}, {"tls-session-cache", "512"},
    {"threads", "2"}, {"max-connections", "9"},
    {"log", "debug"}, {"connect-timeout", "1s"}, {"handshake-timeout", "2s"}, {"idle-timeout", "3s"},
    {"half-close-timeout", "4s"}, {"keepalive", "5s"}, {"uot", ""}, {"udp-timeout", "6s"},
    {"udp-max-flows", "7"}, {"drain", "8s"}, {"reload", "watch"}, {"metrics", "127.0.0.1:9100"},
    {"log-connections", ""}, {"log-format", "json"}};

std::string every_option() {
  std::string text;
  for (const auto& o : kmr::opt::option_table) {
    text.append(o.name);
    if (o.kind == kmr::opt::option_kind::value) text.append("=").append(sample_values.at(o.name));
    text += ';';
  }
  return text;
}

}  // namespace

TEST(TableOptions, EverySampleIsARowAndEveryRowHasASample) {
  EXPECT_EQ(sample_values.size(), kmr::opt::option_table.size());
  for (const auto& o : kmr::opt::option_table) EXPECT_TRUE(sample_values.contains(o.name)) << o.name;
}

TEST(TableOptions, AllTogetherAreReadAndNoneIgnored_OnBothSides) {
  for (const auto role : {side::client, side::server}) {
    auto c = config_of(every_option(), role);
    ASSERT_TRUE(c) << c.error().key << ": " << c.error().message;
    EXPECT_TRUE(c->ignored_items.empty()) << c->ignored_items.front();
    ASSERT_TRUE(c->ws && c->tls && c->uot);
    EXPECT_EQ(c->threads, 2u);
    EXPECT_EQ(c->limits.keepalive, 5s);
    EXPECT_EQ(c->uot->max_flows, 7u);
    EXPECT_EQ(c->drain, 8s);
    EXPECT_EQ(c->reload, kmr::opt::reload_mode::watch);
    ASSERT_TRUE(c->metrics);
    EXPECT_EQ(c->metrics->to_string(), "127.0.0.1:9100");
    EXPECT_TRUE(c->log_connections);
    EXPECT_EQ(c->log_format, kmr::log::format::json);
  }
}

TEST(TableOptions, KeysNotInTheTableAreIgnoredAndReported) {
  const std::vector<std::string> unknown = {"drains=1", "Reload=watch", "udp-max-flow=2", "tlsx"};
  for (const auto& item : unknown) EXPECT_EQ(kmr::opt::find_option(item.substr(0, item.find('='))), nullptr);
  auto c = config_of("drains=1;Reload=watch;udp-max-flow=2;tlsx");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ignored_items, unknown);
}

TEST(TableOptions, FlagsRefuseValues_ValueOptionsRefuseBareKeys) {
  for (const auto& o : kmr::opt::option_table) {
    const std::string name(o.name);
    if (o.kind == kmr::opt::option_kind::flag) {
      EXPECT_EQ(failing_key(name + "=1"), name);
    } else if (o.bare_means_absent) {
      EXPECT_TRUE(config_of(name)) << name;  // the original reads it as absent
    } else {
      auto c = config_of(name);
      ASSERT_FALSE(c) << name;
      EXPECT_EQ(c.error().key, name);
      EXPECT_EQ(c.error().message, "needs a value (" + name + "=...)");
    }
  }
}

TEST(Config, ReadsDrainAndReload) {
  auto defaults = config_of("");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->drain, 0s);  // exit at once: SIP003 hosts SIGKILL ~10 ms after SIGTERM
  EXPECT_EQ(defaults->reload, kmr::opt::reload_mode::signal);
  auto c = config_of("drain=30s;reload=watch");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->drain, 30s);
  EXPECT_EQ(c->reload, kmr::opt::reload_mode::watch);
  EXPECT_EQ(config_of("reload=signal")->reload, kmr::opt::reload_mode::signal);
  EXPECT_EQ(failing_key("drain=soon"), "drain");
  EXPECT_EQ(failing_key("reload=inotify"), "reload");
}

TEST(Config, BareSeedKeyCountsAsAbsent_LikeTheOriginal) {
  // docs/options.md, "Differences from the original": path;path=/a gives /a.
  auto c = config_of("ws;host=a;path;path=/a");
  ASSERT_TRUE(c && c->ws);
  EXPECT_EQ(c->ws->path, "/a");
}

TEST(Config, ReadsTheObservabilityOptions_AllOffByDefault) {
  auto defaults = config_of("");
  ASSERT_TRUE(defaults);
  EXPECT_FALSE(defaults->metrics);
  EXPECT_FALSE(defaults->log_connections);
  EXPECT_EQ(defaults->log_format, kmr::log::format::text);
  auto c = config_of("metrics=[::1]:9300;log-connections;log-format=text");
  ASSERT_TRUE(c && c->metrics);
  EXPECT_EQ(c->metrics->port, 9300);
  EXPECT_TRUE(c->log_connections);
  EXPECT_EQ(failing_key("metrics=9300"), "metrics");  // a port alone is not an address
  EXPECT_EQ(failing_key("metrics=127.0.0.1:70000"), "metrics");
  EXPECT_EQ(failing_key("log-format=yaml"), "log-format");
}

TEST(ProxyOptions, AreOffByDefault) {
  auto c = config_of("");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->proxy.accept);
  EXPECT_FALSE(c->proxy.trusted);
  EXPECT_FALSE(c->proxy.send);
  EXPECT_EQ(c->balance, kmr::opt::balance_mode::failover);
  EXPECT_EQ(c->backoff, 10s);
}

TEST(ProxyOptions, AreRead) {
  auto c = config_of("accept-proxy;trusted=10.0.0.0/8,::1;proxy-protocol=v1;balance=roundrobin;backoff=2s",
                     side::server);
  ASSERT_TRUE(c) << c.error().key << ": " << c.error().message;
  EXPECT_TRUE(c->proxy.accept);
  ASSERT_TRUE(c->proxy.trusted);
  EXPECT_TRUE(c->proxy.trusted->contains_text("10.1.2.3"));
  EXPECT_FALSE(c->proxy.trusted->contains_text("11.1.2.3"));
  EXPECT_EQ(c->proxy.send, kmr::opt::proxy_version::v1);
  EXPECT_EQ(c->balance, kmr::opt::balance_mode::roundrobin);
  EXPECT_EQ(c->backoff, 2s);
}

TEST(ProxyOptions, BadValuesNameTheirOption) {
  EXPECT_EQ(failing_key("proxy-protocol=v3"), "proxy-protocol");
  EXPECT_EQ(failing_key("proxy-protocol=V1"), "proxy-protocol");
  EXPECT_EQ(failing_key("accept-proxy;trusted=10.0.0.0/33"), "trusted");
  EXPECT_EQ(failing_key("accept-proxy;trusted=10.0.0.1,,10.0.0.2"), "trusted");
  EXPECT_EQ(failing_key("accept-proxy;trusted=example.com"), "trusted");
  EXPECT_EQ(failing_key("balance=random"), "balance");
  EXPECT_EQ(failing_key("backoff=0"), "backoff");
  EXPECT_EQ(failing_key("backoff=-1s"), "backoff");
}

TEST(ProxyOptions, V1CannotCarryDatagramsFromAUotServer) {
  auto c = config_of("uot;proxy-protocol=v1", side::server);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().key, "proxy-protocol");
  EXPECT_TRUE(config_of("uot;proxy-protocol=v2", side::server));
  EXPECT_TRUE(config_of("uot;proxy-protocol=v1", side::client));  // the tunnel's TCP connection carries it
}

TEST(ProxyOptions, AUotServerTakesOneRemote) {
  auto options = plugin_options::parse("uot");
  ASSERT_TRUE(options);
  const std::vector<kmr::opt::host_port> two = {{"127.0.0.1", 2}, {"127.0.0.1", 3}};
  auto c = make_config(side::server, {"127.0.0.1", 1}, two, *options);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().key, "uot");
  EXPECT_NE(c.error().message.find("<remote_addr>"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("uot on kaminaris takes one address"), std::string::npos) << c.error().message;
  EXPECT_TRUE(make_config(side::client, {"127.0.0.1", 1}, two, *options));  // its remotes are kaminaris, over TCP
  auto tcp = plugin_options::parse("balance=roundrobin");
  ASSERT_TRUE(tcp);
  auto server = make_config(side::server, {"127.0.0.1", 1}, two, *tcp);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->remotes, two);
}

TEST(ProxyOptions, NeedsARemote) {
  auto options = plugin_options::parse("");
  ASSERT_TRUE(options);
  EXPECT_FALSE(make_config(side::client, {"127.0.0.1", 1}, {}, *options));
}

TEST(ProxyOptions, UselessCombinationsAreWarnedAbout) {
  auto c = config_of("uot;accept-proxy", side::client);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->proxy.accept);
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("accept-proxy"), std::string::npos);

  auto t = config_of("trusted=127.0.0.1", side::client);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->warnings.size(), 1u);
  EXPECT_NE(t->warnings[0].find("trusted="), std::string::npos);
  auto ws = config_of("ws;host=a;path=/p;trusted=127.0.0.1", side::server);
  ASSERT_TRUE(ws);
  EXPECT_TRUE(ws->warnings.empty());
}

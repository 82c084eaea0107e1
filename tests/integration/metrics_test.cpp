// SPDX-License-Identifier: MIT
// metrics=, log-connections and log-format=json with both real binaries: the counters
// a scrape returns are exactly what the test did (connections, bytes each way, TLS
// handshakes, datagrams, how connections ended), /healthz follows the drain, and every
// log line is one JSON object when asked.
#include "support/echo_check.hpp"
#include "support/http_get.hpp"
#include "support/log_lines.hpp"
#include "support/loopback_server.hpp"
#include "support/tcp_client.hpp"
#include "support/tunnel_pair.hpp"
#include "support/udp_peer.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace kmr::test {
namespace {

const std::string metrics_on = "metrics=127.0.0.1:0;log-connections;";

// The port a started binary serves metrics on (its "metrics: http://..." line).
std::uint16_t metrics_port(child_process& p) {
  const auto line = p.wait_for_line_containing("metrics: http://", after(startup_budget));
  return line ? metrics_port_of(*line) : 0;
}

std::string scrape(std::uint16_t port) {
  const auto reply = http_get("127.0.0.1", port, "/metrics", after(5s));
  if (!reply || reply->status != 200) return "";
  return reply->body;
}

// The series' value, 0 when it is absent (so a mismatch shows in the assertion).
double value(const std::string& text, const std::string& series) { return sample_value(text, series).value_or(-1); }

// Scrapes until kaminari_connections_active is 0 (every connection's end is counted), or
// the deadline; returns the last scrape.
std::string scrape_when_idle(std::uint16_t port, const std::string& side, const std::string& transport) {
  const std::string active =
      "kaminari_connections_active{side=\"" + side + "\",transport=\"" + transport + "\"}";
  std::string text;
  const auto d = after(10s);
  do {
    text = scrape(port);
    if (sample_value(text, active) == 0.0) break;
    std::this_thread::sleep_for(20ms);
  } while (clock::now() < d);
  return text;
}

struct transport_case {
  const char* name;
  std::string client_options;
  std::string server_options;
  bool tls = false;
  bool ws = false;
};

const std::string ws_layer = "ws;host=example.com;path=/m;";
const transport_case transports[] = {
    {"tcp", "", ""},
    {"ws", ws_layer, ws_layer, false, true},
    {"tls", "tls;sni=example.com;insecure;", "tls;servername=example.com;", true, false},
    {"wss", ws_layer + "tls;sni=example.com;insecure;", ws_layer + "tls;servername=example.com;", true, true},
};

class MetricsPerTransport : public ::testing::TestWithParam<transport_case> {};

TEST_P(MetricsPerTransport, CountsConnectionsAndBytesExactly) {
  const auto& t = GetParam();
  loopback_server echo;
  tunnel_pair tunnel({.remote = echo.address(), .client_options = metrics_on + t.client_options,
                      .server_options = metrics_on + t.server_options});
  const auto client_metrics = metrics_port(tunnel.client());
  const auto server_metrics = metrics_port(tunnel.server());
  ASSERT_NE(client_metrics, 0) << tunnel.diagnostics();
  ASSERT_NE(server_metrics, 0) << tunnel.diagnostics();

  constexpr int connections = 5;
  std::uint64_t bytes = 0;
  for (int i = 0; i < connections; ++i) {
    const std::size_t size = 10000 + 1000 * static_cast<std::size_t>(i);
    const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
    ASSERT_TRUE(echoes_on(fd.get(), size, static_cast<std::uint64_t>(i), after(20s))) << tunnel.diagnostics();
    bytes += size;
    ASSERT_TRUE(shutdown_write(fd.get()));
    EXPECT_EQ(read_to_end(fd.get(), after(10s)).end, stream_end::eof);
  }

  for (const std::string side : {"client", "server"}) {
    SCOPED_TRACE(side);
    const std::string text = scrape_when_idle(side == "client" ? client_metrics : server_metrics, side, t.name);
    const std::string base = "side=\"" + side + "\",transport=\"" + t.name + "\"";
    EXPECT_EQ(value(text, "kaminari_connections_total{" + base + "}"), connections) << text;
    EXPECT_EQ(value(text, "kaminari_connections_active{" + base + "}"), 0) << text;
    EXPECT_EQ(value(text, "kaminari_connections_ended_total{" + base + ",reason=\"completed\"}"), connections) << text;
    EXPECT_EQ(value(text, "kaminari_connections_ended_total{" + base + ",reason=\"reset\"}"), 0) << text;
    EXPECT_EQ(value(text, "kaminari_bytes_total{" + base + ",direction=\"upstream\"}"), static_cast<double>(bytes))
        << text;
    EXPECT_EQ(value(text, "kaminari_bytes_total{" + base + ",direction=\"downstream\"}"), static_cast<double>(bytes))
        << text;
    if (t.tls) {
      const double full = value(text, "kaminari_tls_handshakes_total{side=\"" + side + "\",kind=\"full\"}");
      const double resumed = value(text, "kaminari_tls_handshakes_total{side=\"" + side + "\",kind=\"resumed\"}");
      EXPECT_GE(full, 1) << text;
      EXPECT_EQ(full + resumed, connections) << text;
      EXPECT_GE(resumed, 1) << "the client keeps tickets: later connections resume\n" << text;
      EXPECT_EQ(value(text, "kaminari_tls_handshake_duration_seconds_count{side=\"" + side + "\"}"), connections)
          << text;
    } else {
      EXPECT_EQ(text.find("kaminari_tls_"), std::string::npos) << "no TLS metrics without tls\n" << text;
    }
    if (t.ws) {
      EXPECT_EQ(value(text, "kaminari_ws_handshake_duration_seconds_count{side=\"" + side + "\"}"), connections)
          << text;
    }
  }

  // log-connections: one line per connection on each side, with the bytes of each.
  for (child_process* p : {&tunnel.client(), &tunnel.server()}) {
    ASSERT_TRUE(p->wait_for_nth_line_containing("connection ended", connections, after(5s))) << p->diagnostics();
    const std::string log = p->stderr_text();
    EXPECT_EQ(count_lines_containing(log, "connection ended"), static_cast<std::size_t>(connections)) << log;
    EXPECT_EQ(count_lines_containing(log, "end=completed"), static_cast<std::size_t>(connections)) << log;
    EXPECT_EQ(count_lines_containing(log, std::string("transport=") + t.name + " "), static_cast<std::size_t>(connections))
        << log;
    EXPECT_EQ(count_lines_containing(log, "bytes_up=12000 bytes_down=12000"), 1u) << log;
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, MetricsPerTransport, ::testing::ValuesIn(transports),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Metrics, ConnectFailureCountedByReason) {
  std::uint16_t closed_port = 0;
  {
    loopback_server gone;  // a port that was just free
    closed_port = static_cast<std::uint16_t>(std::stoi(gone.address().substr(gone.address().rfind(':') + 1)));
  }
  tunnel_pair tunnel({.remote = "127.0.0.1:" + std::to_string(closed_port), .client_options = metrics_on,
                      .server_options = metrics_on});
  const auto server_metrics = metrics_port(tunnel.server());
  ASSERT_NE(server_metrics, 0) << tunnel.diagnostics();
  const socket_fd fd = connect_tcp(tunnel.host(), tunnel.client_port(), after(5s));
  const auto r = read_to_end(fd.get(), after(10s));
  EXPECT_NE(r.end, stream_end::timeout);
  const std::string text = scrape_when_idle(server_metrics, "server", "tcp");
  EXPECT_EQ(value(text, "kaminari_connections_ended_total{side=\"server\",transport=\"tcp\",reason=\"connect_failed\"}"),
            1)
      << text;
  EXPECT_TRUE(tunnel.server().wait_for_line_containing("end=connect_failed", after(5s))) << tunnel.diagnostics();
}

TEST(Metrics, HealthzTurns503WhileDraining) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "metrics=127.0.0.1:0;drain=30s");
  child_process& p = *started.process;
  const auto port = metrics_port(p);
  ASSERT_NE(port, 0) << p.diagnostics();
  const auto healthy = http_get("127.0.0.1", port, "/healthz", after(5s));
  ASSERT_TRUE(healthy);
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(value(scrape(port), "kaminari_draining{side=\"server\"}"), 0);

  socket_fd live = connect_tcp("127.0.0.1", started.port, after(5s));
  ASSERT_TRUE(echoes_on(live.get(), 1000, 1, after(10s)));
  ASSERT_TRUE(p.send_signal(SIGTERM));
  ASSERT_TRUE(p.wait_for_line_containing("draining: ", after(5s))) << p.diagnostics();
  const auto draining = http_get("127.0.0.1", port, "/healthz", after(5s));
  ASSERT_TRUE(draining) << p.diagnostics();
  EXPECT_EQ(draining->status, 503);
  EXPECT_EQ(value(scrape(port), "kaminari_draining{side=\"server\"}"), 1);
  live = socket_fd();  // the last connection ends: the drain is over
  const auto status = p.wait_exit(after(10s));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

TEST(Metrics, EndpointAnswersErrorsAndNeverSharesTheTunnelPort) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "metrics=127.0.0.1:0");
  const auto port = metrics_port(*started.process);
  ASSERT_NE(port, 0);
  EXPECT_NE(port, started.port);
  const auto missing = http_get("127.0.0.1", port, "/nothing", after(5s));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const auto post = http_exchange("127.0.0.1", port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", after(5s));
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  const auto metrics = http_get("127.0.0.1", port, "/metrics", after(5s));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->head.find("text/plain; version=0.0.4"), std::string::npos) << metrics->head;
  EXPECT_NE(metrics->body.find("kaminari_build_info{side=\"server\",version=\""), std::string::npos) << metrics->body;
}

TEST(Metrics, BusyPortFailsAtStartNamingTheOption) {
  loopback_server busy;  // its port is taken
  child_process p(server_bin, {"127.0.0.1:0", "127.0.0.1:1", "metrics=" + busy.address()});
  const auto status = p.wait_exit(after(startup_budget));
  ASSERT_TRUE(status) << p.diagnostics();
  EXPECT_FALSE(status->exited_with(0)) << status->describe();
  EXPECT_NE(p.stderr_text().find("option 'metrics'"), std::string::npos) << p.diagnostics();
  EXPECT_EQ(p.stderr_text().find("listen: "), std::string::npos) << "nothing announced before the failure";
}

TEST(Metrics, UdpDatagramsCountedEachWay) {
  udp_echo_server echo;
  tunnel_pair tunnel({.remote = echo.address(), .client_options = metrics_on + "uot",
                      .server_options = metrics_on + "uot"});
  const auto client_metrics = metrics_port(tunnel.client());
  const auto server_metrics = metrics_port(tunnel.server());
  ASSERT_NE(client_metrics, 0) << tunnel.diagnostics();
  udp_client app("127.0.0.1", tunnel.client_port());
  constexpr int datagrams = 20;
  for (int i = 0; i < datagrams; ++i) {
    const datagram payload(100 + static_cast<std::size_t>(i), static_cast<std::uint8_t>(i));
    ASSERT_TRUE(app.send(payload));
    ASSERT_TRUE(app.receive(after(10s))) << tunnel.diagnostics();
  }
  for (const std::string side : {"client", "server"}) {
    SCOPED_TRACE(side);
    const std::string text = scrape(side == "client" ? client_metrics : server_metrics);
    EXPECT_EQ(value(text, "kaminari_udp_datagrams_total{side=\"" + side + "\",direction=\"upstream\"}"), datagrams)
        << text;
    EXPECT_EQ(value(text, "kaminari_udp_datagrams_total{side=\"" + side + "\",direction=\"downstream\"}"), datagrams)
        << text;
    EXPECT_EQ(value(text, "kaminari_udp_flows_created_total{side=\"" + side + "\"}"), 1) << text;
    EXPECT_EQ(value(text, "kaminari_udp_flows_active{side=\"" + side + "\"}"), 1) << text;
    EXPECT_EQ(value(text, "kaminari_udp_datagrams_dropped_total{side=\"" + side + "\",reason=\"socket_buffer\"}"), 0)
        << text;
  }
}

TEST(LogFormat, JsonMakesEveryLineOneObject) {
  loopback_server echo;
  auto started = start_binary(server_bin, "127.0.0.1:0", echo.address(), "log-format=json;log-connections");
  child_process& p = *started.process;
  {
    const socket_fd fd = connect_tcp("127.0.0.1", started.port, after(5s));
    ASSERT_TRUE(echoes_on(fd.get(), 4321, 7, after(10s)));
    ASSERT_TRUE(shutdown_write(fd.get()));
    EXPECT_EQ(read_to_end(fd.get(), after(10s)).end, stream_end::eof);
  }
  const auto line = p.wait_for_line_containing("\"message\":\"connection ended\"", after(5s));
  ASSERT_TRUE(line) << p.diagnostics();
  EXPECT_NE(line->find("\"bytes_up\":4321"), std::string::npos) << *line;
  EXPECT_NE(line->find("\"bytes_down\":4321"), std::string::npos) << *line;
  EXPECT_NE(line->find("\"end\":\"completed\""), std::string::npos) << *line;
  EXPECT_NE(line->find("\"level\":\"info\""), std::string::npos) << *line;
  const std::string log = p.stderr_text();
  std::size_t lines = 0;
  for (std::size_t at = 0; at < log.size();) {
    const auto end = log.find('\n', at);
    const std::string_view l(log.data() + at, (end == std::string::npos ? log.size() : end) - at);
    EXPECT_TRUE(l.starts_with("{\"time\":\"") && l.ends_with("}")) << l;
    ++lines;
    at = end == std::string::npos ? log.size() : end + 1;
  }
  EXPECT_GE(lines, 5u) << "the banner lines are JSON too";
}

}  // namespace
}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "metrics/http_endpoint.hpp"  // first: the header must compile on its own

#include "support/http_get.hpp"
#include "support/tcp_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kmr::test {
namespace {

using metrics::endpoint_handlers;
using metrics::endpoint_limits;
using metrics::http_endpoint;

// An endpoint on 127.0.0.1:0, its event loop on a thread of its own.
struct running_endpoint {
  explicit running_endpoint(endpoint_limits limits = {}) {
    endpoint_handlers h{.metrics_text = [] { return std::string("kaminari_up 1\n"); },
                        .healthy = [this] { return healthy.load(); }};
    auto [ec, e] = http_endpoint::open(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), h, limits);
    if (ec) throw std::runtime_error(ec.message());
    endpoint = std::move(e);
    port = endpoint->local_endpoint().port();
    endpoint->start();
    thread = std::thread([this] { io.run(); });
  }
  ~running_endpoint() {
    asio::post(io, [this] { endpoint->stop(); });
    work.reset();
    io.stop();
    thread.join();
  }

  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::unique_ptr<http_endpoint> endpoint;
  std::uint16_t port = 0;
  std::atomic<bool> healthy{true};
  std::thread thread;
};

TEST(MetricsHttpEndpoint, ServesMetricsAndHealth) {
  running_endpoint e;
  const auto get = http_get("127.0.0.1", e.port, "/metrics", after(5s));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "kaminari_up 1\n");
  EXPECT_NE(get->head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos) << get->head;
  EXPECT_NE(get->head.find("Content-Length: 14"), std::string::npos) << get->head;
  const auto head = http_exchange("127.0.0.1", e.port, "HEAD /metrics HTTP/1.1\r\n\r\n", after(5s));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(http_get("127.0.0.1", e.port, "/healthz", after(5s))->status, 200);
  e.healthy = false;
  const auto draining = http_get("127.0.0.1", e.port, "/healthz", after(5s));
  ASSERT_TRUE(draining);
  EXPECT_EQ(draining->status, 503);
  EXPECT_EQ(draining->body, "draining\n");
}

TEST(MetricsHttpEndpoint, AnswersBadRequestsWithErrors) {
  running_endpoint e;
  EXPECT_EQ(http_get("127.0.0.1", e.port, "/other", after(5s))->status, 404);
  EXPECT_EQ(http_exchange("127.0.0.1", e.port, "DELETE /metrics HTTP/1.1\r\n\r\n", after(5s))->status, 405);
  EXPECT_EQ(http_exchange("127.0.0.1", e.port, "GET /metrics HTTP/1.1\r\nA\x01: b\r\n\r\n", after(5s))->status, 400);
  const auto huge = http_exchange("127.0.0.1", e.port, "GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a'),
                                  after(5s));
  ASSERT_TRUE(huge) << "a 20 KiB head gets an answer, never a hang";
  EXPECT_EQ(huge->status, 431);
}

TEST(MetricsHttpEndpoint, ClosesSilentClientsAndCapsThem) {
  running_endpoint e({.request_timeout = std::chrono::milliseconds(300), .max_clients = 4});
  std::vector<socket_fd> idle;
  for (int i = 0; i < 9; ++i) idle.push_back(connect_tcp("127.0.0.1", e.port, after(5s)));
  // Every silent client ends: the excess at once, the others at the request timeout.
  for (auto& fd : idle) EXPECT_NE(read_to_end(fd.get(), after(5s)).end, stream_end::timeout);
  const auto get = http_get("127.0.0.1", e.port, "/metrics", after(5s));
  ASSERT_TRUE(get) << "served again once the silent ones are gone";
  EXPECT_EQ(get->status, 200);
}

TEST(MetricsHttpEndpoint, BusyPortFailsToOpen) {
  running_endpoint first;
  asio::io_context io;
  auto [ec, second] =
      http_endpoint::open(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), first.port), {});
  EXPECT_TRUE(ec);
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace kmr::test

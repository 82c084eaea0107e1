// SPDX-License-Identifier: MIT
#include "metrics/http_request.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <string>

using kmr::metrics::build_response;
using kmr::metrics::http_route;
using kmr::metrics::parse_request;
using kmr::metrics::request_limits;
using kmr::metrics::request_verdict;

namespace {

int status_of(const std::string& request, const request_limits& limits = {}) {
  const auto r = parse_request(request, limits);
  if (r.verdict == request_verdict::need_more) return 0;
  return r.verdict == request_verdict::ok ? 200 : r.http_status;
}

}  // namespace

TEST(MetricsHttpRequest, RoutesGetAndHeadOfBothResources) {
  const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto r = parse_request(get);
  ASSERT_EQ(r.verdict, request_verdict::ok);
  EXPECT_EQ(r.route, http_route::metrics);
  EXPECT_FALSE(r.head_only);
  EXPECT_EQ(r.header_size, get.size());
  const auto h = parse_request("HEAD /healthz?verbose=1 HTTP/1.0\r\n\r\n");
  ASSERT_EQ(h.verdict, request_verdict::ok);
  EXPECT_EQ(h.route, http_route::healthz);
  EXPECT_TRUE(h.head_only);
  EXPECT_EQ(status_of("GET /metrics?name[]=x HTTP/1.1\n\n"), 200);  // bare LF is allowed
}

TEST(MetricsHttpRequest, RefusesWhatItDoesNotServe) {
  EXPECT_EQ(status_of("POST /metrics HTTP/1.1\r\n\r\n"), 405);
  EXPECT_EQ(status_of("get /metrics HTTP/1.1\r\n\r\n"), 405);  // methods are case-sensitive
  EXPECT_EQ(status_of("GET /metrics/ HTTP/1.1\r\n\r\n"), 404);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 404);
  EXPECT_EQ(status_of("GET http://x/metrics HTTP/1.1\r\n\r\n"), 404);  // absolute form
  EXPECT_EQ(status_of("GET /metrics HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET /metrics\r\n\r\n"), 400);             // no version
  EXPECT_EQ(status_of("GET /metrics HTTP/1.1\r\nA\rB: c\r\n\r\n"), 400);  // bare CR
  constexpr char with_nul[] = "GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n";
  EXPECT_EQ(status_of(std::string(with_nul, sizeof with_nul - 1)), 400);
  EXPECT_EQ(status_of("\r\n\r\n"), 400);
}

TEST(MetricsHttpRequest, LimitsSizeAndFieldCount) {
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a');
  EXPECT_EQ(status_of(big), 431);  // refused before the head even ends
  std::string many = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 70; ++i) many += "X" + std::to_string(i) + ": y\r\n";
  EXPECT_EQ(status_of(many + "\r\n"), 431);
  EXPECT_EQ(status_of("GET /metrics HTTP/1.1\r\nA: b\r\n\r\n", {.max_bytes = 20, .max_headers = 64}), 431);
}

TEST(MetricsHttpRequest, WaitsForTheWholeHeadAndDecidesTheSameWhateverTheSplit) {
  const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t n = 0; n < get.size(); ++n)
    EXPECT_EQ(parse_request(get.substr(0, n)).verdict, request_verdict::need_more) << n;
  const std::string bad = "PUT /x HTTP/1.1\r\n\r\n";
  EXPECT_EQ(status_of(bad), 405);
}

TEST(MetricsHttpRequest, BuildsWholeResponses) {
  EXPECT_EQ(build_response(200, "text/plain", "ok\n", false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\nok\n");
  EXPECT_EQ(build_response(200, "text/plain", "ok\n", true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(build_response(405, "text/plain", "", false),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
            "Allow: GET, HEAD\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
}

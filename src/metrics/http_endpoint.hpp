// SPDX-License-Identifier: MIT
// The metrics endpoint's listener (metrics=ADDR:PORT): GET /metrics and /healthz over
// plain HTTP/1.1, one request per connection, on the event loop it is given (the control
// thread's). Guarded like the ws server's port: a size limit on the request, one deadline
// for the whole exchange, and a cap on clients at once.
#pragma once

#include "core/asio.hpp"
#include "metrics/http_request.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

namespace kmr::metrics {

struct endpoint_handlers {
  std::function<std::string()> metrics_text;  // the exposition, built at each scrape
  std::function<bool()> healthy;              // true: /healthz is 200 "ok", false: 503 "draining"
};

struct endpoint_limits {
  std::chrono::milliseconds request_timeout{5000};  // from accept to the response sent
  std::size_t max_clients = 16;                     // more are closed at once
  request_limits request;
};

class http_endpoint {
 public:
  // Binds and listens now, so that a bad or busy address fails at start. SO_REUSEADDR but
  // not SO_REUSEPORT: a second process must not share the port silently.
  static std::tuple<error_code, std::unique_ptr<http_endpoint>> open(asio::io_context& io, const tcp::endpoint& at,
                                                                      endpoint_handlers handlers,
                                                                      endpoint_limits limits = {});
  ~http_endpoint();
  http_endpoint(const http_endpoint&) = delete;
  http_endpoint& operator=(const http_endpoint&) = delete;

  tcp::endpoint local_endpoint() const;
  void start();  // the accept loop, on the io_context
  void stop();   // closes the listener and every client; safe to call twice

  struct state;  // shared with the coroutines, which may outlive this object

 private:
  explicit http_endpoint(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace kmr::metrics

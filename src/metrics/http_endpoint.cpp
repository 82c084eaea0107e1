// SPDX-License-Identifier: MIT
#include "metrics/http_endpoint.hpp"

#include "core/deadline.hpp"
#include "core/log.hpp"
#include "metrics/exposition.hpp"

#include <array>
#include <list>

namespace kmr::metrics {

// Owned jointly by the endpoint and its coroutines: a coroutine frame destroyed with the
// io_context after the endpoint is gone still finds its state.
struct http_endpoint::state {
  state(asio::io_context& io, endpoint_handlers h, endpoint_limits l)
      : acceptor(io), handlers(std::move(h)), limits(l) {}

  tcp::acceptor acceptor;
  endpoint_handlers handlers;
  endpoint_limits limits;
  std::list<tcp::socket*> clients;  // open now, so stop() can close them
  bool stopped = false;
};

namespace {

using state = http_endpoint::state;

constexpr std::string_view text_type = "text/plain; charset=utf-8";

// Keeps a client's socket in the list while its coroutine runs.
class client_entry {
 public:
  client_entry(state& s, tcp::socket& socket) : s_(s), it_(s.clients.insert(s.clients.end(), &socket)) {}
  ~client_entry() { s_.clients.erase(it_); }
  client_entry(const client_entry&) = delete;
  client_entry& operator=(const client_entry&) = delete;

 private:
  state& s_;
  std::list<tcp::socket*>::iterator it_;
};

std::string answer(state& s, const parsed_request& r) {
  if (r.verdict != request_verdict::ok) return build_response(r.http_status, text_type, std::string(reason_phrase(r.http_status)) + "\n", false);
  if (r.route == http_route::healthz) {
    const bool healthy = s.handlers.healthy ? s.handlers.healthy() : true;
    return build_response(healthy ? 200 : 503, text_type, healthy ? "ok\n" : "draining\n", r.head_only);
  }
  std::string body = s.handlers.metrics_text ? s.handlers.metrics_text() : std::string();
  return build_response(200, content_type, body, r.head_only);
}

// Reads one request (until a verdict), answers it, and ends the connection. Returns
// false if the client went away first.
awaitable<bool> exchange(std::shared_ptr<state> s, tcp::socket& socket) {
  std::string received;
  std::array<char, 2048> chunk{};
  parsed_request r;
  // Bounded by the head limit: each round adds bytes, and too many end in a verdict.
  while (r.verdict == request_verdict::need_more) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), nothrow);
    if (ec || n == 0) co_return false;
    received.append(chunk.data(), n);
    r = parse_request(received, s->limits.request);
  }
  if (r.verdict == request_verdict::reject) log::debug("metrics endpoint: {} ({})", r.http_status, r.reason);
  const std::string response = answer(*s, r);
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(response), nothrow);
  if (ec) co_return false;
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  co_return true;
}

awaitable<void> serve_client(std::shared_ptr<state> s, tcp::socket socket) {
  const client_entry entry(*s, socket);
  auto r = co_await with_deadline(exchange(s, socket), s->limits.request_timeout, [&socket] {
    error_code ignored;
    socket.close(ignored);  // the pending read or write ends at once
  });
  if (r.expired) log::debug("metrics endpoint: a client took longer than {} ms; closed", s->limits.request_timeout.count());
  error_code ignored;
  socket.close(ignored);
}

awaitable<void> accept_clients(std::shared_ptr<state> s) {
  asio::steady_timer backoff(s->acceptor.get_executor());
  while (!s->stopped) {
    auto [ec, socket] = co_await s->acceptor.async_accept(nothrow);
    if (s->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // EMFILE and the like: pause rather than spin, as the tunnel's loop does
      log::debug("metrics endpoint: accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(nothrow);
      continue;
    }
    if (s->clients.size() >= s->limits.max_clients) {
      error_code ignored;
      socket.close(ignored);  // a scrape retries; a flood gets nothing
      continue;
    }
    asio::co_spawn(s->acceptor.get_executor(), serve_client(s, std::move(socket)), [](std::exception_ptr e) {
      if (e) log::debug("metrics endpoint: a client's coroutine failed");
    });
  }
}

}  // namespace

std::tuple<error_code, std::unique_ptr<http_endpoint>> http_endpoint::open(asio::io_context& io,
                                                                           const tcp::endpoint& at,
                                                                           endpoint_handlers handlers,
                                                                           endpoint_limits limits) {
  auto s = std::make_shared<state>(io, std::move(handlers), limits);
  error_code ec;
  s->acceptor.open(at.protocol(), ec);
  if (!ec) s->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(at, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return {ec, nullptr};
  return {ec, std::unique_ptr<http_endpoint>(new http_endpoint(std::move(s)))};
}

http_endpoint::http_endpoint(std::shared_ptr<state> s) : state_(std::move(s)) {}

http_endpoint::~http_endpoint() { stop(); }

tcp::endpoint http_endpoint::local_endpoint() const {
  error_code ignored;
  return state_->acceptor.local_endpoint(ignored);
}

void http_endpoint::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_clients(state_), [](std::exception_ptr e) {
    if (e) log::error("metrics endpoint: the accept loop failed; metrics are no longer served");
  });
}

void http_endpoint::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  error_code ignored;
  state_->acceptor.close(ignored);
  for (tcp::socket* client : state_->clients) client->close(ignored);
}

}  // namespace kmr::metrics

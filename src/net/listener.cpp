// SPDX-License-Identifier: MIT
#include "net/listener.hpp"

#include "core/log.hpp"
#include "core/rate_limit.hpp"

#include <sys/socket.h>

namespace kmr::net {

std::tuple<error_code, tcp::acceptor> open_listener(asio::io_context& ctx, const tcp::endpoint& at) {
  tcp::acceptor acceptor(ctx);
  error_code ec;
  acceptor.open(at.protocol(), ec);
  if (ec) return {ec, std::move(acceptor)};
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  const int on = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    return {error_code(errno, boost::system::system_category()), std::move(acceptor)};
  acceptor.bind(at, ec);
  if (ec) return {ec, std::move(acceptor)};
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return {ec, std::move(acceptor)};
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, session_starter start, accept_error_counters& errors) {
  asio::steady_timer backoff(acceptor.get_executor());
  rate_limit reports(std::chrono::seconds(1));
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(nothrow);
    if (!ec) {
      start(std::move(sock));
      continue;
    }
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;  // shutting down
    errors[static_cast<std::size_t>(metrics::classify_accept_error(ec.value()))].add();
    // Transient (descriptor exhaustion, a client that reset before accept): report, pause
    // so a full descriptor table is not spun on, and go on.
    if (const auto suppressed = reports.allow())
      log::warn("accept failed: {}{}; retrying", ec.message(), suppressed_note(*suppressed));
    backoff.expires_after(std::chrono::milliseconds(50));
    co_await backoff.async_wait(nothrow);
  }
}

}  // namespace kmr::net

// SPDX-License-Identifier: MIT
#include "net/udp_socket.hpp"

#include <fmt/core.h>

#include <array>
#include <sys/socket.h>

namespace kmr::net {

namespace {

// Bigger kernel buffers absorb bursts (many flows answering at once) instead of dropping;
// the kernel caps the request at net.core.{r,w}mem_max, and a refusal costs nothing.
void enlarge_buffers(udp::socket& s) noexcept {
  error_code ignored;
  s.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
  s.set_option(asio::socket_base::send_buffer_size(4 << 20), ignored);
}

error_code last_errno() { return {errno, boost::system::system_category()}; }

}  // namespace

std::tuple<error_code, udp::socket> open_udp_listener(asio::io_context& ctx, const udp::endpoint& at) {
  udp::socket socket(ctx);
  error_code ec;
  socket.open(at.protocol(), ec);
  if (ec) return {ec, std::move(socket)};
  const int on = 1;
  if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
    return {last_errno(), std::move(socket)};
  socket.bind(at, ec);
  if (ec) return {ec, std::move(socket)};
  socket.non_blocking(true, ec);
  enlarge_buffers(socket);
  return {ec, std::move(socket)};
}

std::tuple<error_code, udp::socket> connect_udp_first(const asio::any_io_executor& ex, const endpoints& candidates) {
  error_code ec = asio::error::host_not_found;
  for (const auto& candidate : candidates) {
    udp::socket socket(ex);
    const udp::endpoint to(candidate.address(), candidate.port());
    socket.open(to.protocol(), ec);
    if (!ec) socket.connect(to, ec);
    if (!ec) socket.non_blocking(true, ec);
    if (ec) continue;
    enlarge_buffers(socket);
    return {ec, std::move(socket)};
  }
  return {ec, udp::socket(ex)};
}

awaitable<error_code> send_datagram(udp::socket& s, std::span<const std::byte> datagram, const udp::endpoint* to,
                                    std::span<const std::byte> prefix) {
  // One datagram from two pieces (sendmsg's gather), never a copy.
  const std::array<asio::const_buffer, 2> buffer = {asio::buffer(prefix.data(), prefix.size()),
                                                    asio::buffer(datagram.data(), datagram.size())};
  error_code ec;
  // Bounded: a socket that stays full this long is congested, and UDP may drop.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (to)
      s.send_to(buffer, *to, 0, ec);
    else
      s.send(buffer, 0, ec);
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return ec;
    auto [wait_ec] = co_await s.async_wait(udp::socket::wait_write, nothrow);
    if (wait_ec) co_return wait_ec;
  }
  co_return ec;
}

std::string to_string(const udp::endpoint& ep) {
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace kmr::net

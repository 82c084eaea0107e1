// SPDX-License-Identifier: MIT
#include "support/http_get.hpp"

#include "support/tcp_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdlib>
#include <span>

namespace kmr::test {

std::optional<http_reply> http_exchange(const std::string& host, std::uint16_t port, std::string_view request,
                                        deadline d) {
  int error = 0;
  const socket_fd fd = try_connect_tcp(host, port, d, error);
  if (!fd) return std::nullopt;
  const auto bytes = std::as_bytes(std::span(request.data(), request.size()));
  if (!send_all(fd.get(), std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), d))
    return std::nullopt;
  std::string received;
  char chunk[16384];
  // Bounded by the deadline: each round reads something, or waits until it passes.
  for (;;) {
    if (const auto end = received.find("\r\n\r\n"); end != std::string::npos) {
      const auto length_at = received.find("Content-Length: ");
      if (length_at != std::string::npos && length_at < end) {
        const std::size_t length = std::strtoul(received.c_str() + length_at + 16, nullptr, 10);
        if (received.size() >= end + 4 + length) break;
      }
    }
    if (!wait_readable(fd.get(), d)) return std::nullopt;
    const ssize_t n = ::recv(fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      break;
    }
    received.append(chunk, static_cast<std::size_t>(n));
  }
  const auto end = received.find("\r\n\r\n");
  if (end == std::string::npos || !received.starts_with("HTTP/1.")) return std::nullopt;
  http_reply reply;
  reply.head = received.substr(0, end);
  reply.body = received.substr(end + 4);
  reply.status = std::atoi(received.c_str() + 9);
  return reply;
}

std::optional<http_reply> http_get(const std::string& host, std::uint16_t port, std::string_view path, deadline d) {
  const std::string request =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  return http_exchange(host, port, request, d);
}

std::optional<double> sample_value(std::string_view exposition, std::string_view series) {
  std::size_t at = 0;
  while ((at = exposition.find(series, at)) != std::string_view::npos) {
    const bool line_start = at == 0 || exposition[at - 1] == '\n';
    const std::size_t value_at = at + series.size();
    if (line_start && value_at < exposition.size() && exposition[value_at] == ' ') {
      const auto end = exposition.find('\n', value_at);
      const std::string value(exposition.substr(value_at + 1, end - value_at - 1));
      char* stop = nullptr;
      const double v = std::strtod(value.c_str(), &stop);
      if (stop != value.c_str()) return v;
      return std::nullopt;
    }
    at = value_at;
  }
  return std::nullopt;
}

std::uint16_t metrics_port_of(std::string_view line) {
  const auto tail = line.rfind("/metrics");
  const auto colon = line.rfind(':', tail);
  if (tail == std::string_view::npos || colon == std::string_view::npos) return 0;
  unsigned port = 0;
  std::from_chars(line.data() + colon + 1, line.data() + tail, port);
  return static_cast<std::uint16_t>(port);
}

}  // namespace kmr::test

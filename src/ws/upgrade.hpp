// SPDX-License-Identifier: MIT
// The HTTP/1.1 upgrade on a live stream, for both roles: send or validate the request,
// validate or send the 101, and hand back a ws::stream that keeps any bytes which came
// in the same read as the end of the header block (the original drops them: §5.5).
#pragma once

#include "core/asio.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "opt/config.hpp"
#include "ws/handshake.hpp"
#include "ws/stream.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kmr::ws {

namespace detail {

inline constexpr std::size_t max_head_bytes = 16 * 1024;

template <class Next>
awaitable<error_code> write_text(Next& next, std::string& text) {
  co_return co_await next.write({std::as_writable_bytes(std::span(text.data(), text.size())), 0});
}

// The buffer a handshake head is read into, not zero-filled: a zeroed 16 KiB on each side
// of every connection was 16% of a ws server's instructions per connection (callgrind).
inline std::unique_ptr<char[]> new_head_buffer() { return std::make_unique_for_overwrite<char[]>(max_head_bytes); }

inline std::span<std::byte> space_after(char* buf, std::size_t used) {
  return std::as_writable_bytes(std::span(buf + used, max_head_bytes - used));
}

inline std::vector<std::byte> bytes_after(const char* buf, std::size_t used, std::size_t head) {
  const auto* p = reinterpret_cast<const std::byte*>(buf);
  return {p + head, p + used};
}

}  // namespace detail

template <class Next>
struct client_upgrade {
  error_code ec;
  std::string detail;  // why, for the log
  std::optional<stream<Next>> upgraded;
};

// Client: sends the original's exact request, never any payload before the 101.
template <class Next>
awaitable<client_upgrade<Next>> connect_upgrade(Next next, const opt::ws_config& cfg) {
  const std::string key = new_client_key();
  std::string request = client_request(cfg.host, cfg.path, key);
  if (auto ec = co_await detail::write_text(next, request)) co_return client_upgrade<Next>{ec, "sending the upgrade", {}};

  const std::string expected_accept = accept_key(key);
  const auto buf = detail::new_head_buffer();
  std::size_t used = 0;
  for (;;) {
    auto [ec, n] = co_await next.read_some(detail::space_after(buf.get(), used));
    if (n == 0) co_return client_upgrade<Next>{ec ? ec : asio::error::eof, "reading the 101", {}};
    used += n;
    const auto r = parse_upgrade_response(std::string_view(buf.get(), used), expected_accept);
    if (r.status == parse_status::reject || (r.status == parse_status::need_more && used == detail::max_head_bytes))
      co_return client_upgrade<Next>{errc::ws_upgrade_rejected, r.reason, {}};
    if (r.status == parse_status::ok) {
      auto rest = detail::bytes_after(buf.get(), used, r.header_size);
      co_return client_upgrade<Next>{{}, {}, stream<Next>(std::move(next), role::client, cfg.mask, std::move(rest))};
    }
  }
}

template <class Next>
struct server_upgrade {
  error_code ec;
  std::string detail;  // why, for the log
  std::optional<stream<Next>> upgraded;
  forwarding_headers forwarding;  // upgraded: who the proxies in front say the client is
  // Refused and a fallback is configured: the connection, untouched (no HTTP error was
  // sent), and every byte read from it, for the fallback server.
  std::optional<Next> refused;
  std::string already_read;
};

// Server: validates the request against host and path. A refused request gets an HTTP
// error and is closed, or, with a fallback configured, is handed back for it.
template <class Next>
awaitable<server_upgrade<Next>> accept_upgrade(Next next, const opt::ws_config& cfg) {
  const auto buf = detail::new_head_buffer();
  std::size_t used = 0;
  request_result r;
  for (;;) {
    auto [ec, n] = co_await next.read_some(detail::space_after(buf.get(), used));
    if (n == 0) {
      if (cfg.fallback && used > 0) break;  // let the real web server judge a cut request
      co_return server_upgrade<Next>{ec ? ec : asio::error::eof, "reading the upgrade request", {}, {}, {}, {}};
    }
    used += n;
    r = parse_upgrade_request(std::string_view(buf.get(), used), cfg.host, cfg.path);
    if (r.status == parse_status::need_more && used == detail::max_head_bytes) {
      r.status = parse_status::reject;  // the parser's own limit; kept here in case it changes
      r.http_status = 431;
      r.reason = "header block too large";
    }
    if (r.status != parse_status::need_more) break;
  }
  if (r.status == parse_status::ok) {
    std::string response = server_response(accept_key(r.key));
    if (auto ec = co_await detail::write_text(next, response)) co_return server_upgrade<Next>{ec, "sending the 101", {}, {}, {}, {}};
    auto rest = detail::bytes_after(buf.get(), used, r.header_size);
    co_return server_upgrade<Next>{{}, {}, stream<Next>(std::move(next), role::server, cfg.mask, std::move(rest)),
                                   std::move(r.forwarding), {}, {}};
  }
  if (cfg.fallback) {
    co_return server_upgrade<Next>{errc::ws_bad_request, r.reason, {}, {}, std::move(next), std::string(buf.get(), used)};
  }
  std::string reply = error_response(r.http_status ? r.http_status : 400);
  co_await detail::write_text(next, reply);
  co_await next.send_end_of_stream();
  co_return server_upgrade<Next>{errc::ws_bad_request, std::to_string(r.http_status) + " " + r.reason, {}, {}, {}, {}};
}

}  // namespace kmr::ws

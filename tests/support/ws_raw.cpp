// SPDX-License-Identifier: MIT
#include "support/ws_raw.hpp"

#include "support/tcp_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace kmr::test {
namespace {

// One read with a deadline; 0 on EOF, -1 on error or timeout.
ssize_t read_some(int fd, std::uint8_t* out, std::size_t n, deadline d) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, poll_timeout_ms(d));
    if (ready == 0) return -1;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return -1;
    const ssize_t got = ::recv(fd, out, n, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    return got;
  }
}

// Feeds `bytes` to the reader; appends data, records controls. False on protocol error.
bool feed(ws::frame_reader& reader, std::vector<std::uint8_t>& bytes, std::vector<std::uint8_t>& data,
          std::vector<received_frame>& controls) {
  std::span<std::byte> in(reinterpret_cast<std::byte*>(bytes.data()), bytes.size());
  while (!in.empty()) {
    const auto s = reader.next(in);
    in = in.subspan(s.consumed);
    using kind = ws::step::kind;
    if (s.what == kind::protocol_error) return false;
    if (s.what == kind::data) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(s.data.data());
      data.insert(data.end(), p, p + s.data.size());
    } else if (s.what == kind::ping || s.what == kind::pong || s.what == kind::close) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(s.control_payload.data());
      controls.push_back({s.what == kind::ping   ? ws::opcode::ping
                          : s.what == kind::pong ? ws::opcode::pong
                                                 : ws::opcode::close,
                          {p, p + s.control_payload.size()}});
      if (s.what == kind::close) break;
    }
  }
  bytes.clear();
  return true;
}

}  // namespace

std::vector<std::uint8_t> make_frame(ws::opcode op, const std::vector<std::uint8_t>& payload,
                                     std::optional<ws::mask_key> mask, bool fin) {
  std::array<std::byte, ws::max_header_size> header{};
  const auto n = ws::encode_header({.fin = fin, .op = op, .mask = mask, .payload_len = payload.size()}, header);
  std::vector<std::uint8_t> frame(n + payload.size());
  std::memcpy(frame.data(), header.data(), n);
  if (!payload.empty()) std::memcpy(frame.data() + n, payload.data(), payload.size());
  if (mask) ws::apply_mask({reinterpret_cast<std::byte*>(frame.data() + n), payload.size()}, *mask, 0);
  return frame;
}

std::optional<std::string> read_http_head(int fd, std::vector<std::uint8_t>& surplus, deadline d) {
  std::string text;
  std::uint8_t buf[4096];
  for (;;) {
    const auto end = text.find("\r\n\r\n");
    if (end != std::string::npos) {
      surplus.insert(surplus.end(), text.begin() + static_cast<std::ptrdiff_t>(end + 4), text.end());
      text.resize(end + 4);
      return text;
    }
    if (text.size() > 64 * 1024) return std::nullopt;
    const ssize_t got = read_some(fd, buf, sizeof buf, d);
    if (got <= 0) return std::nullopt;
    text.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(got));
  }
}

std::optional<std::vector<std::uint8_t>> read_data(int fd, std::vector<std::uint8_t>& surplus, std::size_t want,
                                                    std::vector<received_frame>& controls, deadline d) {
  ws::frame_reader reader;
  std::vector<std::uint8_t> data;
  if (!feed(reader, surplus, data, controls)) return std::nullopt;
  std::vector<std::uint8_t> buf(64 * 1024);
  while (data.size() < want) {
    if (reader.closed()) return std::nullopt;
    const ssize_t got = read_some(fd, buf.data(), buf.size(), d);
    if (got <= 0) return std::nullopt;
    std::vector<std::uint8_t> chunk(buf.begin(), buf.begin() + got);
    if (!feed(reader, chunk, data, controls)) return std::nullopt;
  }
  return data;
}

std::optional<std::vector<std::uint8_t>> read_control(int fd, std::vector<std::uint8_t>& surplus, ws::opcode op,
                                                       deadline d) {
  ws::frame_reader reader;
  std::vector<std::uint8_t> data;
  std::vector<received_frame> controls;
  std::vector<std::uint8_t> buf(64 * 1024);
  if (!feed(reader, surplus, data, controls)) return std::nullopt;
  for (;;) {
    for (const auto& c : controls)
      if (c.op == op) return c.payload;
    const ssize_t got = read_some(fd, buf.data(), buf.size(), d);
    if (got <= 0) return std::nullopt;
    std::vector<std::uint8_t> chunk(buf.begin(), buf.begin() + got);
    if (!feed(reader, chunk, data, controls)) return std::nullopt;
  }
}

}  // namespace kmr::test

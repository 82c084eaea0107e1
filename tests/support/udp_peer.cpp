// SPDX-License-Identifier: MIT
#include "support/udp_peer.hpp"

#include "core/asio.hpp"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace kmr::test {

namespace {

// As root (the test machines), lift the kernel's cap on socket buffers: bursts in the
// tests must not be lost in the test's own sockets.
void big_buffers(int fd) {
  const int size = 8 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

}  // namespace

struct udp_echo_server::shared {
  asio::io_context context{1};
  udp::socket socket{context};
  std::string host;
  std::uint16_t port = 0;
  std::atomic<std::size_t> echoed{0};
  mutable std::mutex mutex;
  std::set<std::uint16_t> sources;
  std::thread thread;
};

namespace {

awaitable<void> echo_loop(udp_echo_server::shared& s) {
  std::vector<std::byte> buffer(70000);
  for (;;) {  // until the context stops
    udp::endpoint from;
    auto [ec, n] = co_await s.socket.async_receive_from(asio::buffer(buffer), from, nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. an ICMP error about an earlier echo
    {
      std::lock_guard lock(s.mutex);
      s.sources.insert(from.port());
    }
    auto [send_ec, sent] = co_await s.socket.async_send_to(asio::buffer(buffer.data(), n), from, nothrow);
    if (!send_ec) ++s.echoed;
  }
}

}  // namespace

udp_echo_server::udp_echo_server(const std::string& host) : shared_(std::make_unique<shared>()) {
  shared_->host = host;
  const udp::endpoint at(asio::ip::make_address(host), 0);
  shared_->socket.open(at.protocol());
  big_buffers(shared_->socket.native_handle());
  shared_->socket.bind(at);
  shared_->port = shared_->socket.local_endpoint().port();
  asio::co_spawn(shared_->context, echo_loop(*shared_), [](std::exception_ptr) {});
  shared_->thread = std::thread([s = shared_.get()] { s->context.run(); });
}

udp_echo_server::~udp_echo_server() {
  shared_->context.stop();
  shared_->thread.join();
}

std::uint16_t udp_echo_server::port() const noexcept { return shared_->port; }
std::string udp_echo_server::address() const { return address_text(shared_->host, shared_->port); }
std::size_t udp_echo_server::echoed() const noexcept { return shared_->echoed.load(); }

std::vector<std::uint16_t> udp_echo_server::source_ports() const {
  std::lock_guard lock(shared_->mutex);
  return {shared_->sources.begin(), shared_->sources.end()};
}

udp_client::udp_client(const std::string& host, std::uint16_t port) {
  const socket_address to = make_address(host, port);
  const socket_address local = make_address(host, 0);
  fd_ = socket_fd(::socket(to.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  big_buffers(fd_.get());
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0 ||
      ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to.storage), to.length) != 0)
    throw std::runtime_error(std::string("udp bind/connect: ") + std::strerror(errno));
}

std::uint16_t udp_client::local_port() const { return kmr::test::local_port(fd_.get()); }

bool udp_client::send(std::span<const std::uint8_t> payload) {
  return ::send(fd_.get(), payload.data(), payload.size(), 0) == static_cast<ssize_t>(payload.size());
}

std::optional<datagram> udp_client::try_receive() {
  datagram buf(70000);
  // Bounded: a refused-port error (ICMP) is consumed and the read retried a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n >= 0) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (errno != ECONNREFUSED) break;
  }
  return std::nullopt;
}

std::optional<datagram> udp_client::receive(deadline d) {
  // Bounded by the deadline: each round waits for readability until then.
  for (;;) {
    if (auto got = try_receive()) return got;
    pollfd p{fd_.get(), POLLIN, 0};
    const int timeout = poll_timeout_ms(d);
    if (timeout == 0 || ::poll(&p, 1, timeout) == 0) return std::nullopt;
  }
}

datagram numbered_datagram(std::uint32_t flow, std::uint32_t seq, std::size_t size) {
  datagram d(std::max<std::size_t>(size, 8));
  for (int i = 0; i < 4; ++i) {
    d[i] = static_cast<std::uint8_t>(flow >> (8 * i));
    d[4 + i] = static_cast<std::uint8_t>(seq >> (8 * i));
  }
  for (std::size_t i = 8; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7 + flow * 13 + seq * 31);
  return d;
}

int open_descriptors(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return -1;
  int count = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++count;
  ::closedir(d);
  return count;
}

std::string describe_descriptors(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return "(no " + dir + ")\n";
  std::string out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[256] = {};
    const auto n = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    out += std::string(e->d_name) + " -> " + (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?") + "\n";
  }
  ::closedir(d);
  return out;
}

}  // namespace kmr::test

// SPDX-License-Identifier: MIT
#include "app/worker.hpp"

#include "core/log.hpp"
#include "core/report_exception.hpp"
#include "net/listener.hpp"
#include "net/socket_options.hpp"
#include "net/udp_socket.hpp"

namespace kmr::app {

worker::worker(const runtime_slot& runtimes, unsigned index, unsigned count)
    : state_(io_.get_executor(), runtimes, index, count) {}

void worker::listen_udp(udp::socket socket) { datagrams_ = std::make_unique<uot_client>(std::move(socket), state_); }

std::string worker::bound_address() const {
  error_code ec;
  if (datagrams_) return net::to_string(datagrams_->socket().local_endpoint(ec));
  return net::to_string(acceptor_.local_endpoint(ec));
}

void worker::start() {
  if (datagrams_)
    asio::co_spawn(io_, datagrams_->run(), [](std::exception_ptr e) { report_exception("UDP listener", e); });
  else
    asio::co_spawn(io_, net::accept_loop(acceptor_, [this](tcp::socket s) { start_session(std::move(s), state_); },
                                   state_.metrics.accept_errors),
                   [](std::exception_ptr e) { report_exception("accept loop", e); });
  thread_ = std::thread([this] { io_.run(); });
}

void worker::stop_accepting(std::function<void()> done) {
  asio::post(io_, [this, done = std::move(done)] {
    take_queued_then_close();
    done();
  });
}

// Connections the kernel has already completed wait in this listener's queue: they are
// ours to serve, not to reset. Whatever arrives after the close goes to the other
// listeners on the port (a new instance's), moved there by the kernel when
// net.ipv4.tcp_migrate_req is 1 (docs/operations.md).
void worker::take_queued_then_close() {
  if (datagrams_) {
    datagrams_->stop_new_flows();
    return;
  }
  if (!acceptor_.is_open()) return;
  error_code ec;
  acceptor_.non_blocking(true, ec);
  for (int taken = 0; !ec && taken < 4096; ++taken) {  // bounded by the listen backlog anyway
    tcp::socket s(io_);
    acceptor_.accept(s, ec);
    if (!ec) start_session(std::move(s), state_);
  }
  acceptor_.close(ec);  // the accept loop ends with operation_aborted
}

void worker::ping(std::uint64_t beat) {
  asio::post(io_, [this, beat] { heartbeat_.store(beat, std::memory_order_release); });
}

void worker::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kmr::app

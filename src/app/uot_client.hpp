// SPDX-License-Identifier: MIT
// kaminaric with uot, one per worker: datagrams received on the worker's UDP socket are
// sorted into flows by source address; each flow has its own tunnel connection through
// the configured layers, and the answers go back to the source from the same socket.
#pragma once

#include "app/session.hpp"
#include "core/rate_limit.hpp"

#include <memory>
#include <span>
#include <unordered_map>

namespace kmr::app {

struct client_flow;  // uot_client.cpp

class uot_client {
 public:
  // `socket`: bound and non-blocking (net::open_udp_listener). The flow cap is
  // worker.udp_flows, shared by the workers. Each flow is counted in worker.open.
  uot_client(udp::socket socket, worker_state& worker);
  ~uot_client();
  uot_client(const uot_client&) = delete;
  uot_client& operator=(const uot_client&) = delete;

  // Receives until the socket is closed. Start it once, on the socket's executor.
  awaitable<void> run();

  udp::socket& socket() noexcept { return socket_; }

  // Draining: datagrams from sources without a flow are dropped from now on; the open
  // flows go on until they end (idle for udp-timeout, or their tunnel closes).
  void stop_new_flows() noexcept { accepting_ = false; }

  // Called by a flow's coroutine when it has ended: forgets (and destroys) the flow, so
  // the next datagram from its source opens a new one.
  void forget(client_flow& flow);

 private:
  void dispatch(const udp::endpoint& from, std::span<const std::byte> datagram);
  client_flow* start_flow(const udp::endpoint& from);

  udp::socket socket_;
  worker_state& worker_;
  bool accepting_ = true;
  std::unordered_map<udp::endpoint, std::unique_ptr<client_flow>> flows_;
  rate_limit cap_reports_{std::chrono::seconds(1)};
  rate_limit drop_reports_{std::chrono::seconds(1)};
  rate_limit receive_reports_{std::chrono::seconds(1)};
};

}  // namespace kmr::app

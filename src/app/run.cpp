// SPDX-License-Identifier: MIT
#include "app/run.hpp"

#include "app/session.hpp"
#include "app/tls_setup.hpp"
#include "app/uot_client.hpp"
#include "core/log.hpp"
#include "core/report_exception.hpp"
#include "net/listener.hpp"
#include "net/nofile.hpp"
#include "net/socket_options.hpp"
#include "net/udp_socket.hpp"
#include "opt/command_line.hpp"

#include <csignal>
#include <cstdio>
#include <list>
#include <thread>
#include <vector>

#ifndef KMR_VERSION
#define KMR_VERSION "0.1.0"
#endif

namespace kmr::app {
namespace {

// One per thread: its own event loop, listener and session state (shared-nothing).
struct worker {
  worker(const opt::tunnel_config& cfg, const tls_setup* tls, unsigned index)
      : ctx(1), sessions(ctx.get_executor(), cfg, tls, index, cfg.threads) {}
  asio::io_context ctx;
  tcp::acceptor acceptor{ctx};
  session_context sessions;
  std::unique_ptr<uot_client> datagrams;  // kaminaric with uot: listens on UDP instead of TCP
  std::thread thread;
};

bool is_uot_client(const opt::tunnel_config& c) { return c.uot && c.role == opt::side::client; }

std::string layer_line(const opt::tunnel_config& c) {
  return (c.role == opt::side::client ? "connect: " : "accept: ") + opt::layer_label(c);
}

expected<opt::tunnel_config, int> load_config(opt::side role, const opt::run_tunnel& request) {
  const auto name = opt::program_name(role);
  auto options = opt::plugin_options::parse(request.options);
  if (!options) {
    log::error("{}: options: {}", name, options.error().message);
    return unexpected(exit_usage_error);
  }
  auto config = opt::make_config(role, request.listen, request.remote, *options);
  if (!config) {
    log::error("{}: option '{}': {}", name, config.error().key, config.error().message);
    return unexpected(exit_usage_error);
  }
  return std::move(*config);
}

// kaminaric with uot: one UDP socket per worker on the same port, as for TCP below.
bool open_udp_listeners(std::list<worker>& workers, udp::endpoint at) {
  for (auto& w : workers) {
    auto [ec, socket] = net::open_udp_listener(w.ctx, at);
    if (ec) {
      log::error("cannot listen on {} (UDP): {}", net::to_string(at), ec.message());
      return false;
    }
    at = socket.local_endpoint();
    w.datagrams = std::make_unique<uot_client>(std::move(socket), w.sessions);
  }
  return true;
}

// Binds one listener per worker on the same port. The first may pick the port (port 0).
bool open_listeners(std::list<worker>& workers, const opt::tunnel_config& cfg) {
  auto [resolve_ec, addresses] = net::resolve_now(cfg.listen);
  if (resolve_ec) {
    log::error("cannot resolve listen address {}: {}", cfg.listen.to_string(), resolve_ec.message());
    return false;
  }
  tcp::endpoint at = addresses.front();
  if (is_uot_client(cfg)) return open_udp_listeners(workers, udp::endpoint(at.address(), at.port()));
  for (auto& w : workers) {
    auto [ec, acceptor] = net::open_listener(w.ctx, at);
    if (ec) {
      log::error("cannot listen on {}: {}", net::to_string(at), ec.message());
      return false;
    }
    w.acceptor = std::move(acceptor);
    net::tune_listener(w.acceptor, cfg.limits.keepalive);  // accepted sockets inherit it
    at = w.acceptor.local_endpoint();  // the others share the port the first one got
  }
  return true;
}

// "uot: udp listen, udp-timeout: 20s, max flows: 1024" (the original has no uot line: its
// programs carry no uot).
std::string uot_banner(const opt::tunnel_config& cfg) {
  const auto ms = cfg.uot->udp_timeout.count();
  const auto timeout = ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
  return fmt::format("uot: udp {}, udp-timeout: {}, max flows: {}",
                     cfg.role == opt::side::client ? "listen" : "remote", timeout, cfg.uot->max_flows);
}

// Printed whatever the log level, as the original does: it is how an operator (and a
// test, with port 0) learns what was bound.
void print_banner(const opt::tunnel_config& cfg, const std::string& bound) {
  const auto line = [](const std::string& text) { log::write_line(log::level::info, text); };
  line(fmt::format("{} {}", opt::program_name(cfg.role), KMR_VERSION));
  line("listen: " + bound);
  line("remote: " + cfg.remote.to_string());
  line(layer_line(cfg));
  line(fmt::format("threads: {}", cfg.threads));
  if (cfg.ws) line(fmt::format("ws: host: {}, path: {}", cfg.ws->host, cfg.ws->path));
  if (cfg.tls) line(tls_banner(cfg));
  if (cfg.ws && cfg.role == opt::side::client) line(std::string("mask: ") + opt::to_string(cfg.ws->mask));
  if (cfg.uot) line(uot_banner(cfg));
  for (const auto& item : cfg.ignored_items) log::warn("ignoring unknown option '{}'", item);
  for (const auto& warning : cfg.warnings) log::warn("{}", warning);
}

std::string bound_address(const worker& w) {
  if (w.datagrams) return net::to_string(w.datagrams->socket().local_endpoint());
  return net::to_string(w.acceptor.local_endpoint());
}

void start_worker(worker& w) {
  if (w.datagrams)
    asio::co_spawn(w.ctx, w.datagrams->run(), [](std::exception_ptr e) { report_exception("UDP listener", e); });
  else
    asio::co_spawn(w.ctx, net::accept_loop(w.acceptor, [&w](tcp::socket s) {
                     start_session(std::move(s), w.sessions);
                   }),
                   [](std::exception_ptr e) { report_exception("accept loop", e); });
  w.thread = std::thread([&w] { w.ctx.run(); });
}

int serve(const opt::tunnel_config& cfg, const tls_setup* tls) {
  // The signal handler is installed before the banner announces readiness and before any
  // worker thread exists: a SIGTERM sent the moment "listen:" appears must end the
  // process cleanly (status 0), never by the signal's default action.
  asio::io_context signals_ctx(1);
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);

  // Before the workers: their flows hold slots of it until they are destroyed.
  uot::flow_budget udp_flows(cfg.uot ? cfg.uot->max_flows : 0);
  std::list<worker> workers;  // list: workers are not movable (io_context)
  for (unsigned i = 0; i < cfg.threads; ++i) workers.emplace_back(cfg, tls, i).sessions.udp_flows = &udp_flows;
  if (!open_listeners(workers, cfg)) return exit_runtime_error;
  print_banner(cfg, bound_address(workers.front()));

  for (auto& w : workers) start_worker(w);

  // The main thread only waits for a signal. A SIP003 host sends SIGKILL about 10 ms after
  // SIGTERM, so stop at once: no grace period for open connections.
  int received = 0;
  signals.async_wait([&](const error_code&, int sig) { received = sig; });
  signals_ctx.run();
  log::debug("signal {}: stopping", received);
  for (auto& w : workers) w.ctx.stop();
  for (auto& w : workers) w.thread.join();
  return exit_ok;
}

}  // namespace

int run_program(opt::side role, int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const auto name = opt::program_name(role);
  auto request = opt::parse_command_line(role, args, opt::process_environment());
  if (!request) {
    log::error("{}: {}", name, request.error().message);
    if (request.error().show_usage) std::fputs(opt::short_usage(role).c_str(), stderr);
    return exit_usage_error;
  }
  if (std::holds_alternative<opt::show_help>(*request)) {
    std::fputs(opt::help_text(role).c_str(), stdout);
    return exit_ok;
  }
  if (std::holds_alternative<opt::show_version>(*request)) {
    std::printf("%s %s\n", name.c_str(), KMR_VERSION);
    return exit_ok;
  }

  auto config = load_config(role, std::get<opt::run_tunnel>(*request));
  if (!config) return config.error();
  log::set_level(config->log_level);

  auto tls = make_tls_setup(*config);
  if (!tls) {
    log::error("{}: option '{}': {}", name, tls.error().key, tls.error().message);
    return exit_usage_error;
  }

  std::signal(SIGPIPE, SIG_IGN);  // a peer that vanished must cost a write error, not the process
  net::raise_nofile_limit();
  return serve(*config, tls->get());
}

}  // namespace kmr::app

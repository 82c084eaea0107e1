// SPDX-License-Identifier: MIT
#include "app/banner.hpp"

#include "core/log.hpp"
#include "core/version.hpp"
#include "opt/command_line.hpp"

#include <fmt/core.h>

namespace kmr::app {
namespace {

std::string layer_line(const opt::tunnel_config& c) {
  return (c.role == opt::side::client ? "connect: " : "accept: ") + opt::layer_label(c);
}

// "uot: udp listen, udp-timeout: 20s, max flows: 1024" (the original has no uot line: its
// programs carry no uot).
std::string uot_banner(const opt::tunnel_config& cfg) {
  const auto ms = cfg.uot->udp_timeout.count();
  const auto timeout = ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
  return fmt::format("uot: udp {}, udp-timeout: {}, max flows: {}",
                     cfg.role == opt::side::client ? "listen" : "remote", timeout, cfg.uot->max_flows);
}

// "proxy: accept from 127.0.0.1/32, forwarded-for from 127.0.0.1/32, send v1": shown
// only when a PROXY option is set, so an operator sees who is believed.
std::string proxy_banner(const opt::tunnel_config& cfg) {
  const auto& p = cfg.proxy;
  const std::string who = p.trusted ? p.trusted->to_string() : "anyone";
  std::string text;
  const auto add = [&text](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (p.accept) add("accept from " + who);
  if (p.trusted && cfg.ws && cfg.role == opt::side::server) add("forwarded-for from " + who);
  if (p.send) add(std::string("send ") + opt::to_string(*p.send));
  return text.empty() ? text : "proxy: " + text;
}

}  // namespace

void print_banner(const runtime& r, const std::string& bound) {
  const auto& cfg = r.config;
  const auto line = [](const std::string& text) { log::write_line(log::level::info, text); };
  line(fmt::format("{} {}", opt::program_name(cfg.role), version));
  line("listen: " + bound);
  line("remote: " + opt::to_string(cfg.remotes));
  line(layer_line(cfg));
  line(fmt::format("threads: {}", cfg.threads));
  if (cfg.ws) line(fmt::format("ws: host: {}, path: {}", cfg.ws->host, cfg.ws->path));
  if (cfg.tls) line(tls_banner(cfg));
  if (cfg.ws && cfg.role == opt::side::client) line(std::string("mask: ") + opt::to_string(cfg.ws->mask));
  if (cfg.uot) line(uot_banner(cfg));
  if (const auto proxy = proxy_banner(cfg); !proxy.empty()) line(proxy);
  for (const auto& item : cfg.ignored_items) log::warn("ignoring unknown option '{}'", item);
  for (const auto& warning : cfg.warnings) log::warn("{}", warning);
  if (cfg.role == opt::side::server && !r.tls_description.empty()) log::info("{}", r.tls_description);
  if (!r.expiry_warning.empty()) log::warn("{}", r.expiry_warning);
}

std::string tls_banner(const opt::tunnel_config& cfg) {
  const auto& t = *cfg.tls;
  if (cfg.role == opt::side::client) {
    std::string alpn;
    for (const auto& a : t.alpn) alpn += (alpn.empty() ? "" : ", ") + a;
    return fmt::format("tls: sni: {}, alpn: [{}], insecure: {}, early_data: {}{}", t.sni, alpn, t.insecure,
                       t.early_data, t.ca_file.empty() ? "" : ", ca: " + t.ca_file);
  }
  return fmt::format("tls: cert: {}, key: {}, ocsp: {}, server_name: {}", t.cert_file, t.key_file, t.ocsp_file,
                     t.self_signed_name);
}

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
#include "app/tls_setup.hpp"

#include <fmt/core.h>

namespace kmr::app {

expected<std::unique_ptr<tls_setup>, tls::context_error> make_tls_setup(const opt::tunnel_config& cfg) {
  if (!cfg.tls) return std::unique_ptr<tls_setup>();
  const auto& t = *cfg.tls;
  auto setup = std::make_unique<tls_setup>();
  if (cfg.role == opt::side::client) {
    setup->client = tls::client_settings{t.sni, t.alpn, t.insecure, t.early_data, t.ca_file};
    auto ctx = tls::make_client_context(setup->client);
    if (!ctx) return unexpected(ctx.error());
    setup->context = std::move(*ctx);
    // Tickets are kept per worker thread (session_context::tickets) for resumption and
    // 0-RTT; a connection finds its thread's store through the SSL object.
    tls::enable_session_stores(setup->context.get());
  } else {
    auto ctx = tls::make_server_context(
        tls::server_settings{t.cert_file, t.key_file, t.self_signed_name, t.ocsp_file, cfg.ws.has_value()});
    if (!ctx) return unexpected(ctx.error());
    setup->context = std::move(*ctx);
  }
  return setup;
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

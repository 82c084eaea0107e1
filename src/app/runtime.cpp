// SPDX-License-Identifier: MIT
#include "app/runtime.hpp"

#include "tls/certificate_info.hpp"
#include "tls/session_store.hpp"

namespace kmr::app {
namespace {

std::shared_ptr<SSL_CTX> share(tls::ssl_ctx_ptr ctx) { return {ctx.release(), tls::ssl_ctx_deleter{}}; }

expected<tls_layer, tls::context_error> make_client_layer(const opt::tls_config& t) {
  tls_layer layer;
  layer.client = tls::client_settings{t.sni, t.alpn, t.insecure, t.early_data, t.ca_file};
  auto ctx = tls::make_client_context(layer.client);
  if (!ctx) return unexpected(ctx.error());
  // Tickets are kept per worker thread (worker_state::tickets) for resumption and 0-RTT;
  // a connection finds its thread's store through the SSL object.
  tls::enable_session_stores(ctx->get());
  layer.ssl_ctx = share(std::move(*ctx));
  return layer;
}

expected<tls_layer, tls::context_error> make_server_layer(const opt::tunnel_config& c, const runtime* previous) {
  const auto& t = *c.tls;
  auto ctx = tls::make_server_context(
      tls::server_settings{t.cert_file, t.key_file, t.self_signed_name, t.ocsp_file, c.ws.has_value(),
                           t.session_cache});
  if (!ctx) return unexpected(ctx.error());
  tls_layer layer;
  layer.ssl_ctx = share(std::move(*ctx));
  // Without the first context's cache, every client's ticket would miss after a reload:
  // one full handshake each, and no 0-RTT, right when a renewal is rolled out.
  const auto* old = previous ? tls_of(*previous) : nullptr;
  layer.session_ctx = old ? old->session_ctx : layer.ssl_ctx;
  return layer;
}

bool has_certificate_files(const opt::tls_config& t) { return !t.cert_file.empty() && !t.key_file.empty(); }

// What the log says about the material, and which files a reload reads again.
void describe_material(runtime& r, const tls_layer& layer) {
  const auto& t = *r.config.tls;
  if (r.config.role == opt::side::client) {
    r.tls_description = t.ca_file.empty() ? "system trust store" : "ca: " + t.ca_file;
    if (!t.ca_file.empty()) r.tls_files = {t.ca_file};
    return;
  }
  const auto summary = tls::summarize_context(layer.ssl_ctx.get());
  if (summary) r.certificate_expiry = summary->not_after;
  if (!has_certificate_files(t)) return;  // servername=: made at start-up, nothing to re-read
  r.tls_files = {t.cert_file, t.key_file};
  if (!t.ocsp_file.empty()) r.tls_files.push_back(t.ocsp_file);
  if (summary) {
    const auto now = std::chrono::system_clock::now();
    r.tls_description = "certificate: " + tls::describe(*summary, now);
    r.expiry_warning = tls::expiry_warning(*summary, t.cert_file, now);
  }
}

layer_stack compose(const opt::tunnel_config& c, std::optional<tls_layer> tls) {
  if (tls && c.ws) return wss_stack{std::move(*tls), *c.ws};
  if (tls) return tls_stack{std::move(*tls)};
  if (c.ws) return ws_stack{*c.ws};
  return plain_stack{};
}

}  // namespace

expected<runtime_ptr, tls::context_error> make_runtime(const opt::tunnel_config& config, const runtime* previous) {
  auto r = std::make_shared<runtime>();
  r->config = config;
  std::optional<tls_layer> tls;
  if (config.tls) {
    auto layer = config.role == opt::side::client ? make_client_layer(*config.tls)
                                                  : make_server_layer(config, previous);
    if (!layer) return unexpected(layer.error());
    describe_material(*r, *layer);
    tls = std::move(*layer);
  }
  r->stack = compose(config, std::move(tls));
  return runtime_ptr(std::move(r));
}

const tls_layer* tls_of(const runtime& r) noexcept {
  if (const auto* s = std::get_if<tls_stack>(&r.stack)) return &s->tls;
  if (const auto* s = std::get_if<wss_stack>(&r.stack)) return &s->tls;
  return nullptr;
}

std::string_view transport_name(const runtime& r) noexcept {
  struct namer {
    std::string_view operator()(const plain_stack&) const { return "tcp"; }
    std::string_view operator()(const ws_stack&) const { return "ws"; }
    std::string_view operator()(const tls_stack&) const { return "tls"; }
    std::string_view operator()(const wss_stack&) const { return "wss"; }
  };
  return std::visit(namer{}, r.stack);
}

}  // namespace kmr::app

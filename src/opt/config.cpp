// SPDX-License-Identifier: MIT
#include "opt/config.hpp"

#include "opt/duration.hpp"
#include "opt/option_table.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace kmr::opt {
namespace {

using std::chrono::milliseconds;

// Every key below is spelt through known_key(), which fails the build for a key that is not
// in the option table: whatever is parsed is also in --help and the docs.

unexpected<option_error> fail(std::string_view key, std::string message) {
  return unexpected(option_error{std::string(key), std::move(message)});
}

// key=N, a decimal count within [low, high] ("a thread count (1-256)" names it in the
// error); `fallback` when the key is absent.
expected<std::size_t, option_error> read_count(const plugin_options& o, std::string_view key, std::size_t low,
                                               std::size_t high, std::string_view what, std::size_t fallback) {
  const auto text = o.value(key);
  if (!text) return fallback;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < low || n > high)
    return fail(key, fmt::format("'{}' is not {} ({}-{})", *text, what, low, high));
  return n;
}

expected<unsigned, option_error> read_threads(const plugin_options& o) {
  const auto hw = std::max(1u, std::thread::hardware_concurrency());
  auto n = read_count(o, known_key("threads"), 1, 256, "a thread count", hw);
  if (!n) return unexpected(n.error());
  return static_cast<unsigned>(*n);
}

expected<milliseconds, option_error> read_duration(const plugin_options& o, std::string_view key,
                                                   milliseconds fallback, bool zero_allowed) {
  const auto text = o.value(key);
  if (!text) return fallback;
  auto d = parse_duration(*text);
  if (!d) return fail(key, d.error());
  if (!zero_allowed && d->count() == 0) return fail(key, "must be more than zero");
  return *d;
}

// Every item must be in the option table or is reported; flags must not carry values and
// value options must not be bare flags, because "tls=1" or "threads" silently doing nothing
// would mislead the user. Options of the other side are known, so they are never reported:
// SIP003 hosts pass one string to both ends.
expected<std::vector<std::string>, option_error> check_items(const plugin_options& o) {
  std::vector<std::string> ignored;
  for (const auto& e : o.entries()) {
    if (const option_spec* spec = find_option(e.key)) {
      if (spec->kind == option_kind::flag && e.had_equals) return fail(e.key, "is a flag and takes no value");
      if (spec->kind == option_kind::value && !e.had_equals && !spec->bare_means_absent)
        return fail(e.key, "needs a value (" + e.key + "=...)");
      continue;
    }
    std::string item = e.key;
    if (e.had_equals) item += "=" + e.value.value_or("");
    if (std::find(ignored.begin(), ignored.end(), item) == ignored.end()) ignored.push_back(item);
  }
  return ignored;
}

// ws;host=...;path=... (both sides), mask= (client), fallback= (server).
expected<std::optional<ws_config>, option_error> read_ws(side role, const plugin_options& o,
                                                         std::vector<std::string>& warnings) {
  if (!o.has_flag(known_key("ws"))) return std::optional<ws_config>{};
  const auto host = o.value(known_key("host"));
  if (!host) return fail(known_key("host"), "ws needs host=<HTTP host>");
  const auto path = o.value(known_key("path"));
  if (!path) return fail(known_key("path"), "ws needs path=</request/path>");
  ws_config c{std::string(*host), std::string(*path), mask_mode::skip, std::nullopt};
  if (c.path.front() != '/')
    warnings.push_back("path '" + c.path + "' does not start with '/'; proxies and CDNs may refuse it");
  if (role == side::client) {
    // The original reads anything but "standard" and "fixed" as skip; so do we, aloud.
    const auto mask = o.value(known_key("mask"));
    if (mask == "fixed") c.mask = mask_mode::fixed;
    else if (mask == "standard") c.mask = mask_mode::standard;
    else if (mask && *mask != "skip" && *mask != "skipped")
      warnings.push_back("mask '" + std::string(*mask) + "' is not skip, fixed or standard; using skip");
  }
  if (const auto fb = o.value(known_key("fallback")); fb && role == side::server) {
    auto where = parse_host_port(*fb);
    if (!where) return fail(known_key("fallback"), where.error());
    c.fallback = std::move(*where);
  }
  return std::optional(std::move(c));
}

// "h2, http/1.1" -> {"h2", "http/1.1"}: split on ',', items trimmed, empty ones dropped,
// as the original does.
std::vector<std::string> split_alpn(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

std::string value_or_empty(const plugin_options& o, std::string_view key) {
  return std::string(o.value(key).value_or(""));
}

// tls;sni=... (client), tls;cert=...;key=... or tls;servername=... (server).
expected<std::optional<tls_config>, option_error> read_tls(side role, const plugin_options& o,
                                                           std::vector<std::string>& warnings) {
  if (!o.has_flag(known_key("tls"))) return std::optional<tls_config>{};
  tls_config c;
  if (role == side::client) {
    c.sni = value_or_empty(o, known_key("sni"));
    if (c.sni.empty()) return fail(known_key("sni"), "tls needs sni=<server name> on the client");
    c.alpn = split_alpn(o.value(known_key("alpn")).value_or(""));
    c.insecure = o.has_flag(known_key("insecure"));
    c.early_data = o.has_flag(known_key("0rtt"));
    c.ca_file = value_or_empty(o, known_key("ca"));
    if (c.insecure)
      warnings.push_back("insecure: the server's certificate is not verified; anyone in the path can read the tunnel");
    return std::optional(std::move(c));
  }
  c.cert_file = value_or_empty(o, known_key("cert"));
  c.key_file = value_or_empty(o, known_key("key"));
  c.self_signed_name = value_or_empty(o, known_key("servername"));
  c.ocsp_file = value_or_empty(o, known_key("ocsp"));
  auto cache = read_count(o, known_key("tls-session-cache"), 1, 1'000'000, "an entry count", c.session_cache);
  if (!cache) return unexpected(cache.error());
  c.session_cache = *cache;
  const bool have_pair = !c.cert_file.empty() && !c.key_file.empty();
  if (!have_pair && c.self_signed_name.empty()) {
    if (!c.cert_file.empty()) return fail(known_key("key"), "tls needs key=<file> with cert=, or servername=");
    if (!c.key_file.empty()) return fail(known_key("cert"), "tls needs cert=<file> with key=, or servername=");
    return fail(known_key("cert"), "tls needs cert= and key=, or servername= on the server");
  }
  return std::optional(std::move(c));
}

// uot;udp-timeout=...;udp-max-flows=... (both sides). The two values are accepted quietly
// without uot, like the other layers' options, so one string can serve every setup.
expected<std::optional<uot_config>, option_error> read_uot(const plugin_options& o) {
  uot_config c;
  auto timeout = read_duration(o, known_key("udp-timeout"), c.udp_timeout, false);
  if (!timeout) return unexpected(timeout.error());
  c.udp_timeout = *timeout;
  auto flows = read_count(o, known_key("udp-max-flows"), 1, 1'000'000, "a flow count", c.max_flows);
  if (!flows) return unexpected(flows.error());
  c.max_flows = *flows;
  if (!o.has_flag(known_key("uot"))) return std::optional<uot_config>{};
  return std::optional(c);
}

// accept-proxy, trusted= and proxy-protocol= (both sides).
expected<proxy_config, option_error> read_proxy(side role, const plugin_options& o, bool uot,
                                                std::vector<std::string>& warnings) {
  proxy_config c;
  c.accept = o.has_flag(known_key("accept-proxy"));
  if (c.accept && uot && role == side::client) {
    warnings.push_back("accept-proxy is ignored: kaminaric with uot listens on UDP, where no PROXY header comes");
    c.accept = false;
  }
  if (const auto t = o.value(known_key("trusted"))) {
    auto list = net::cidr_list::parse(*t);
    if (!list) return fail(known_key("trusted"), list.error());
    c.trusted = std::move(*list);
    const bool read_by_ws = role == side::server && o.has_flag(known_key("ws"));
    if (!c.accept && !read_by_ws)
      warnings.push_back("trusted= has no effect here: it needs accept-proxy, or ws on kaminaris");
  }
  if (const auto v = o.value(known_key("proxy-protocol"))) {
    if (*v == "v1") c.send = proxy_version::v1;
    else if (*v == "v2") c.send = proxy_version::v2;
    else return fail(known_key("proxy-protocol"), fmt::format("'{}' is not v1 or v2", *v));
    if (c.send == proxy_version::v1 && uot && role == side::server)
      return fail(known_key("proxy-protocol"), "v1 cannot carry UDP datagrams; use v2 with uot");
  }
  return c;
}

// balance= and backoff= (both sides).
expected<std::pair<balance_mode, milliseconds>, option_error> read_balance(const plugin_options& o) {
  balance_mode mode = balance_mode::failover;
  if (const auto b = o.value(known_key("balance"))) {
    if (*b == "roundrobin") mode = balance_mode::roundrobin;
    else if (*b != "failover") return fail(known_key("balance"), fmt::format("'{}' is not failover or roundrobin", *b));
  }
  auto backoff = read_duration(o, known_key("backoff"), std::chrono::seconds(10), false);
  if (!backoff) return unexpected(backoff.error());
  return std::pair{mode, *backoff};
}

}  // namespace

expected<tunnel_config, option_error> make_config(side role, host_port listen, std::vector<host_port> remotes,
                                                  const plugin_options& options) {
  if (remotes.empty()) return fail("", "no remote address");
  tunnel_config c;
  c.role = role;
  c.listen = std::move(listen);
  c.remotes = std::move(remotes);

  auto ignored = check_items(options);
  if (!ignored) return unexpected(ignored.error());
  c.ignored_items = std::move(*ignored);

  auto threads = read_threads(options);
  if (!threads) return unexpected(threads.error());
  c.threads = *threads;
  auto connections = read_count(options, known_key("max-connections"), 1, 10'000'000, "a connection count", 0);
  if (!connections) return unexpected(connections.error());
  c.max_connections = *connections;

  if (const auto l = options.value(known_key("log"))) {
    const auto parsed = log::parse_level(*l);
    if (!parsed) return fail(known_key("log"), "'" + std::string(*l) + "' is not a level (error, warn, info, debug)");
    c.log_level = *parsed;
  }

  const relay_limits defaults;
  auto connect = read_duration(options, known_key("connect-timeout"), defaults.connect_timeout, false);
  if (!connect) return unexpected(connect.error());
  auto idle = read_duration(options, known_key("idle-timeout"), defaults.idle_timeout, true);
  if (!idle) return unexpected(idle.error());
  auto half_close = read_duration(options, known_key("half-close-timeout"), defaults.half_close_timeout, false);
  if (!half_close) return unexpected(half_close.error());
  auto keepalive = read_duration(options, known_key("keepalive"), defaults.keepalive, true);
  if (!keepalive) return unexpected(keepalive.error());
  if (keepalive->count() != 0 && *keepalive < std::chrono::seconds(1))
    return fail(known_key("keepalive"), "must be 0 (off) or at least 1s");
  c.limits = {*connect, *idle, *half_close, *keepalive};
  auto handshake = read_duration(options, known_key("handshake-timeout"), c.handshake_timeout, false);
  if (!handshake) return unexpected(handshake.error());
  c.handshake_timeout = *handshake;
  auto drain = read_duration(options, known_key("drain"), c.drain, true);
  if (!drain) return unexpected(drain.error());
  c.drain = *drain;
  if (const auto r = options.value(known_key("reload"))) {
    if (*r == "watch") c.reload = reload_mode::watch;
    else if (*r != "signal") return fail(known_key("reload"), "'" + std::string(*r) + "' is not signal or watch");
  }
  if (const auto m = options.value(known_key("metrics"))) {
    auto where = parse_host_port(*m);
    if (!where) return fail(known_key("metrics"), "'" + std::string(*m) + "' is not ADDR:PORT: " + where.error());
    c.metrics = std::move(*where);
  }
  c.log_connections = options.has_flag(known_key("log-connections"));
  if (const auto f = options.value(known_key("log-format"))) {
    const auto parsed = log::parse_format(*f);
    if (!parsed) return fail(known_key("log-format"), "'" + std::string(*f) + "' is not text or json");
    c.log_format = *parsed;
  }

  auto ws = read_ws(role, options, c.warnings);
  if (!ws) return unexpected(ws.error());
  c.ws = std::move(*ws);
  auto tls = read_tls(role, options, c.warnings);
  if (!tls) return unexpected(tls.error());
  c.tls = std::move(*tls);
  auto uot = read_uot(options);
  if (!uot) return unexpected(uot.error());
  c.uot = *uot;
  // The server's uot sends datagrams over one connected UDP socket, with no connect to
  // fail and so nothing to fail over from.
  if (role == side::server && c.uot && c.remotes.size() > 1)
    return fail(known_key("uot"), fmt::format("<remote_addr> lists {} addresses: a list of remotes needs TCP; "
                                              "uot on kaminaris takes one address",
                                              c.remotes.size()));
  auto proxy = read_proxy(role, options, c.uot.has_value(), c.warnings);
  if (!proxy) return unexpected(proxy.error());
  c.proxy = std::move(*proxy);
  auto balance = read_balance(options);
  if (!balance) return unexpected(balance.error());
  std::tie(c.balance, c.backoff) = *balance;
  return c;
}

const char* to_string(proxy_version v) noexcept { return v == proxy_version::v1 ? "v1" : "v2"; }

const char* to_string(balance_mode m) noexcept { return m == balance_mode::failover ? "failover" : "roundrobin"; }

const char* to_string(mask_mode m) noexcept {
  switch (m) {
    case mask_mode::skip: return "skip";
    case mask_mode::fixed: return "fixed";
    case mask_mode::standard: return "standard";
  }
  return "?";
}

std::string layer_label(const tunnel_config& config) {
  return std::string(config.ws ? "[ws]" : "") + (config.tls ? "[tls]" : "") + "[plain]";
}

}  // namespace kmr::opt

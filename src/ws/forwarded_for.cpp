// SPDX-License-Identifier: MIT
#include "ws/forwarded_for.hpp"

#include "net/ip_literal.hpp"
#include "ws/http_head.hpp"

#include <netinet/in.h>

#include <vector>

namespace kmr::ws {
namespace {

using detail::iequals;
using detail::trim_ows;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_alnum(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A port after an address: decimal 0-65535, or RFC 7239's obfuscated "_" 1*(ALPHA /
// DIGIT / "." / "_" / "-"). Either way it is dropped.
bool port_ok(std::string_view text) noexcept {
  if (text.empty()) return false;
  if (text.front() == '_') {
    if (text.size() == 1) return false;
    for (const char c : text.substr(1))
      if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
  }
  if (text.size() > 5) return false;
  unsigned value = 0;
  for (const char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

// "1.2.3.4", "1.2.3.4:80", "::1", "[::1]", "[::1]:80": the address, or nullopt.
std::optional<sockaddr_storage> node_address(std::string_view text) noexcept {
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !port_ok(rest.substr(1)))) return std::nullopt;
    auto address = net::parse_ip(text.substr(1, close - 1));
    if (!address || address->ss_family != AF_INET6) return std::nullopt;  // [1.2.3.4]
    return address;
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // One colon: IPv4 and port. (An IPv6 literal has at least two.)
    if (!port_ok(text.substr(colon + 1))) return std::nullopt;
    auto address = net::parse_ip(text.substr(0, colon));
    if (!address || address->ss_family != AF_INET) return std::nullopt;
    return address;
  }
  return net::parse_ip(text);
}

// The right-to-left walk shared by both list headers. `at(i)` is element i's address or
// nullopt; elements are numbered from the left, `count` of them.
template <class At>
std::optional<std::string> walk_from_right(std::size_t count, At at,
                                           const net::cidr_list& trusted) {
  for (std::size_t i = count; i-- > 0;) {
    const std::optional<sockaddr_storage> address = at(i);
    if (!address) return std::nullopt;  // not an address: nothing left of it is believable
    if (!trusted.contains(*address) || i == 0) return net::ip_text(*address);
  }
  return std::nullopt;
}

// The non-empty, trimmed elements of a comma-separated list (no quoting in
// X-Forwarded-For).
std::vector<std::string_view> plain_elements(std::string_view list) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) out.push_back(element);
    if (comma == std::string_view::npos) return out;
    list.remove_prefix(comma + 1);
  }
}

// Splits `text` at each `separator` outside quoted strings (RFC 9110 §5.6.4). False if a
// quoted string is not closed.
bool split_outside_quotes(std::string_view text, char separator,
                          std::vector<std::string_view>& out) {
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted && c == '\\') {
      ++i;  // quoted-pair: the next byte is literal
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == separator) {
      out.push_back(trim_ows(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (quoted) return false;  // an open quote, or a '\' escaping the closing one
  out.push_back(trim_ows(text.substr(start)));
  return true;
}

// A Forwarded parameter value: a token, or a quoted string with its quoted-pairs undone.
std::optional<std::string> pair_value(std::string_view raw) {
  if (raw.empty()) return std::nullopt;
  if (raw.front() != '"') {
    // RFC 7239 wants "[...]" and ":" quoted; accepted bare too, as some proxies send it.
    for (const char c : raw)
      if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) return std::nullopt;
    return std::string(raw);
  }
  if (raw.size() < 2 || raw.back() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (i + 2 >= raw.size()) return std::nullopt;  // the closing quote was escaped
      c = raw[++i];
    }
    if (c == '"' || (static_cast<unsigned char>(c) < ' ' && c != '\t')) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

// The address in one Forwarded element's for= parameter, or nullopt when there is none
// usable (no for=, two of them, "unknown", "_obfuscated", bad syntax).
std::optional<sockaddr_storage> element_client(std::string_view element) {
  std::vector<std::string_view> pairs;
  if (!split_outside_quotes(element, ';', pairs)) return std::nullopt;
  std::optional<std::string> node;
  for (const std::string_view pair : pairs) {
    if (pair.empty()) continue;  // forwarded-element = [ pair ] *( ";" [ pair ] )
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    if (!iequals(trim_ows(pair.substr(0, eq)), "for")) continue;
    if (node) return std::nullopt;  // RFC 7239 §4: at most once per element
    node = pair_value(trim_ows(pair.substr(eq + 1)));
    if (!node) return std::nullopt;
  }
  if (!node) return std::nullopt;
  return node_address(*node);  // "unknown" and "_hidden" are not addresses either
}

std::optional<std::string> from_forwarded(std::string_view header,
                                          const net::cidr_list& trusted) {
  std::vector<std::string_view> elements;
  if (!split_outside_quotes(header, ',', elements)) return std::nullopt;
  std::erase_if(elements, [](std::string_view e) { return e.empty(); });
  return walk_from_right(
      elements.size(), [&](std::size_t i) { return element_client(elements[i]); }, trusted);
}

}  // namespace

std::optional<std::string> forwarded_client(std::string_view x_forwarded_for,
                                            std::string_view x_real_ip,
                                            std::string_view forwarded,
                                            const net::cidr_list& trusted) {
  const std::vector<std::string_view> xff = plain_elements(x_forwarded_for);
  if (!xff.empty()) {
    return walk_from_right(
        xff.size(), [&](std::size_t i) { return node_address(xff[i]); }, trusted);
  }
  if (const std::string_view real_ip = trim_ows(x_real_ip); !real_ip.empty()) {
    const auto address = node_address(real_ip);
    if (!address) return std::nullopt;
    return net::ip_text(*address);
  }
  return from_forwarded(forwarded, trusted);
}

}  // namespace kmr::ws

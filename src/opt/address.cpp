// SPDX-License-Identifier: MIT
#include "opt/address.hpp"

#include "core/quoted_text.hpp"

#include <fmt/core.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

namespace kmr::opt {
namespace {

constexpr std::size_t max_host_name = 253;  // RFC 1035 §2.3.4, without the trailing dot
constexpr std::size_t max_label = 63;

// inet_pton needs a NUL-terminated string; an embedded NUL must not cut the text short
// ("1.2.3.4\0junk" is not an address). No literal is longer than INET6_ADDRSTRLEN - 1,
// so a stack copy suffices and the check never allocates.
bool parses_as(int family, std::string_view text) noexcept {
  char copy[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof copy) return false;
  if (text.find('\0') != std::string_view::npos) return false;
  text.copy(copy, text.size());
  copy[text.size()] = '\0';
  in6_addr buf{};  // large enough for both families
  return ::inet_pton(family, copy, &buf) == 1;
}

bool is_ipv4(std::string_view text) noexcept { return parses_as(AF_INET, text); }
bool is_ipv6(std::string_view text) noexcept { return parses_as(AF_INET6, text); }

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_name_char(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_' || c == '.';
}

// Letters, digits, '-', '_' and '.', no empty label. A name whose last label is all
// digits must be a real IPv4 literal: otherwise getaddrinfo would read "127.1" or
// "1.2.3.256" in the old inet_aton forms, which nobody means.
bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > max_host_name) return false;
  std::size_t label = 0;
  bool last_label_numeric = true;
  for (const char c : text) {
    if (!is_name_char(c)) return false;
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      last_label_numeric = true;
      continue;
    }
    if (++label > max_label) return false;
    last_label_numeric = last_label_numeric && is_digit(c);
  }
  return label != 0 && !last_label_numeric;
}

// Checks a host written without a port and returns it without brackets.
expected<std::string, std::string> check_host(std::string_view host) {
  if (host.empty()) return unexpected(std::string("the host is empty"));
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']' || !is_ipv6(host.substr(1, host.size() - 2)))
      return unexpected(quoted_for_log(host) + " is not a bracketed IPv6 address");
    return std::string(host.substr(1, host.size() - 2));
  }
  if (host.find(':') != std::string_view::npos) {
    if (!is_ipv6(host)) return unexpected(quoted_for_log(host) + " is not a valid IPv6 address");
    return std::string(host);
  }
  if (!is_ipv4(host) && !is_host_name(host))
    return unexpected(quoted_for_log(host) + " is not a valid host name or IP address");
  return std::string(host);
}

// Splits "<host>:<port>" into its two parts, the host still bracketed if it was.
expected<std::pair<std::string_view, std::string_view>, std::string> split_host_port(
    std::string_view text) {
  if (text.empty()) return unexpected(std::string("the address is empty"));
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos)
      return unexpected(quoted_for_log(text) + " has no ']' after the IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return unexpected(quoted_for_log(text) + " needs ':<port>' after ']'");
    return std::pair{text.substr(0, close + 1), text.substr(close + 2)};
  }
  // The last ':' splits, as Rust's ToSocketAddrs does: "::1:8388" is ::1 port 8388.
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return unexpected(quoted_for_log(text) + " has no port (expected host:port)");
  if (colon == 0) return unexpected(quoted_for_log(text) + " has no host (expected host:port)");
  return std::pair{text.substr(0, colon), text.substr(colon + 1)};
}

// Splits `text` at each ',' and reads each item with `read`. One item is read as is, so
// that a single address keeps its plain message; in a list, items are named by position.
template <class Read>
expected<std::vector<host_port>, std::string> read_list(std::string_view text, Read read) {
  std::vector<host_port> out;
  if (text.find(',') == std::string_view::npos) {
    auto one = read(text);
    if (!one) return unexpected(std::move(one).error());
    out.push_back(std::move(*one));
    return out;
  }
  for (std::size_t number = 1;; ++number) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (item.empty()) return unexpected(fmt::format("item {} is empty", number));
    auto address = read(item);
    if (!address) return unexpected(fmt::format("item {} ({}): {}", number, quoted_for_log(item), address.error()));
    const auto earlier = std::find(out.begin(), out.end(), *address);
    if (earlier != out.end())
      return unexpected(fmt::format("item {} ({}) repeats item {}", number, quoted_for_log(item),
                                    earlier - out.begin() + 1));
    out.push_back(std::move(*address));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

bool host_port::host_is_ipv6_literal() const noexcept { return is_ipv6(host); }

bool host_port::host_is_ip_literal() const noexcept { return is_ipv4(host) || is_ipv6(host); }

std::string host_port::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

expected<std::uint16_t, std::string> parse_port(std::string_view text) {
  // At most 5 digits: stops "000000080" and overflow before any arithmetic.
  bool ok = !text.empty() && text.size() <= 5;
  unsigned value = 0;
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    ok = is_digit(text[i]);
    if (ok) value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  if (!ok || value > 65535) return unexpected(quoted_for_log(text) + " is not a port (0-65535)");
  return static_cast<std::uint16_t>(value);
}

expected<host_port, std::string> make_host_port(std::string_view host, std::string_view port) {
  auto h = check_host(host);
  if (!h) return unexpected(std::move(h).error());
  auto p = parse_port(port);
  if (!p) return unexpected(std::move(p).error());
  return host_port{std::move(*h), *p};
}

expected<host_port, std::string> parse_host_port(std::string_view text) {
  auto parts = split_host_port(text);
  if (!parts) return unexpected(std::move(parts).error());
  const auto [host, port] = *parts;
  if (host.front() != '[' && host.find(':') != std::string_view::npos && !is_ipv6(host)) {
    // "host:80:90": neither a name nor an IPv6 literal; say why the split failed.
    return unexpected(quoted_for_log(text) + " is not host:port (IPv6 addresses go in brackets)");
  }
  return make_host_port(host, port);
}

expected<std::vector<host_port>, std::string> parse_host_port_list(std::string_view text) {
  return read_list(text, [](std::string_view item) { return parse_host_port(item); });
}

std::string to_string(const std::vector<host_port>& list) {
  std::string text;
  for (const auto& a : list) {
    if (!text.empty()) text += ',';
    text += a.to_string();
  }
  return text;
}

expected<std::vector<host_port>, std::string> make_host_port_list(std::string_view hosts, std::string_view port) {
  return read_list(hosts, [port](std::string_view host) { return make_host_port(host, port); });
}

}  // namespace kmr::opt

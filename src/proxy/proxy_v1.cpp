// SPDX-License-Identifier: MIT
// Version 1 of the PROXY header: one line of text (spec §2.1), checked field by field as
// it arrives, so that a wrong byte is refused at once rather than after the CRLF.
#include "proxy/proxy_detail.hpp"

#include "net/ip_literal.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <array>

namespace kmr::proxy::detail {
namespace {

constexpr std::string_view signature = "PROXY ";
constexpr std::size_t max_line = max_v1_header - 2;  // without the CRLF

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

parse_result invalid(const char* why) {
  parse_result r;
  r.status = parse_status::invalid;
  r.error = why;
  return r;
}

parse_result need_more() { return {}; }

// True if `text` is one of the v1 protocol names, or (complete == false) the start of one.
bool protocol_ok(std::string_view text, bool complete) noexcept {
  constexpr std::array<std::string_view, 3> names = {"TCP4", "TCP6", "UNKNOWN"};
  return std::any_of(names.begin(), names.end(), [&](std::string_view name) {
    return complete ? text == name : name.starts_with(text);
  });
}

// The four fields after "TCP4 " or "TCP6 ": source, destination, source port,
// destination port, single spaces between them. Fills `h` when the line is complete.
const char* check_fields(std::string_view rest, int family, bool complete, header& h) {
  static constexpr std::array<const char*, 4> why = {
      "bad v1 source address", "bad v1 destination address", "bad v1 source port",
      "bad v1 destination port"};
  std::array<std::string_view, 4> fields;
  std::size_t count = 0;
  for (;;) {
    const std::size_t space = rest.find(' ');
    const std::string_view field = rest.substr(0, space);
    const bool whole = space != std::string_view::npos || complete;
    const bool ok = count < 2 ? (family == AF_INET ? ipv4_text_ok(field, whole)
                                                    : ipv6_text_ok(field, whole))
                              : port_text_ok(field, whole);
    if (!ok) return why[count];
    fields[count++] = field;
    if (space == std::string_view::npos) break;
    if (count == fields.size()) return "v1 line has a field after the ports";
    rest.remove_prefix(space + 1);
  }
  if (!complete) return nullptr;
  if (count < fields.size()) return "v1 line ends before the ports";

  auto source = net::parse_ip(fields[0]);
  auto destination = net::parse_ip(fields[1]);
  if (!source || !destination) return why[source ? 1 : 0];  // the checks above agree
  auto port = [](std::string_view text) {
    unsigned value = 0;
    for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
    return static_cast<std::uint16_t>(value);
  };
  net::set_port(*source, port(fields[2]));
  net::set_port(*destination, port(fields[3]));
  h.source = *source;
  h.destination = *destination;
  return nullptr;
}

// Checks a line without its CRLF; `complete` says whether the CRLF has arrived.
// nullptr if it is (the start of) a valid line, else why not.
const char* check_line(std::string_view line, bool complete, header& h) {
  if (line.size() < signature.size())
    return !complete && signature.starts_with(line) ? nullptr : "bad v1 signature";
  if (!line.starts_with(signature)) return "bad v1 signature";
  line.remove_prefix(signature.size());

  const std::size_t space = line.find(' ');
  const std::string_view protocol = line.substr(0, space);
  if (!protocol_ok(protocol, space != std::string_view::npos || complete))
    return "v1 protocol is not TCP4, TCP6 or UNKNOWN";
  if (protocol == "UNKNOWN") {
    // "the receiver must ignore anything presented before the CRLF" (the caller has
    // made sure there is no CR or LF in it).
    h.local = true;
    return nullptr;
  }
  if (space == std::string_view::npos)
    return complete ? "v1 line ends before the addresses" : nullptr;
  return check_fields(line.substr(space + 1), protocol == "TCP4" ? AF_INET : AF_INET6,
                      complete, h);
}

}  // namespace

bool ipv4_text_ok(std::string_view text, bool complete) noexcept {
  unsigned dots = 0;
  unsigned digits = 0;  // in the current number
  unsigned value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (digits == 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
      continue;
    }
    if (!is_digit(c)) return false;
    if (digits == 1 && value == 0) return false;  // a leading zero ("01")
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (++digits > 3 || value > 255) return false;
  }
  return !complete || (dots == 3 && digits > 0);
}

bool ipv6_text_ok(std::string_view text, bool complete) noexcept {
  if (text.size() > net::max_ip_literal) return false;
  if (complete) {
    const auto address = net::parse_ip(text);
    return address && address->ss_family == AF_INET6;
  }
  // A prefix: groups of 1-4 hex digits between colons, at most one "::", at most 8
  // groups (7 beside a "::", which stands for at least one), and perhaps a dotted IPv4
  // tail in the place of the last two groups.
  unsigned groups = 0;  // groups begun so far
  unsigned digits = 0;  // in the current group
  bool elided = false;  // "::" seen
  std::size_t group_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const unsigned max_groups = elided ? 7 : 8;
    if (c == ':') {
      if (i > 0 && text[i - 1] == ':') {
        if (elided) return false;  // a second "::", or ":::"
        elided = true;
      } else if (i > 0 && groups == max_groups) {
        return false;  // no room for another group after this colon
      }
      digits = 0;
      group_start = i + 1;
      continue;
    }
    if (i == 1 && text[0] == ':') return false;  // a lone leading colon
    if (c == '.') {
      // The current group was the first number of an IPv4 tail, which takes two groups.
      if (group_start == 0 || groups + 1 > max_groups) return false;
      return ipv4_text_ok(text.substr(group_start), false);
    }
    if (!is_hex(c)) return false;
    if (digits == 0 && ++groups > max_groups) return false;
    if (++digits > 4) return false;
  }
  return true;
}

bool port_text_ok(std::string_view text, bool complete) noexcept {
  if (text.size() > 5 || (text.size() > 1 && text.front() == '0')) return false;
  unsigned value = 0;
  for (const char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535 && (!complete || !text.empty());
}

parse_result parse_v1(std::string_view data) {
  // The CRLF must come within max_v1_header bytes; nothing after that is looked at.
  const std::string_view window = data.substr(0, std::min(data.size(), max_v1_header));
  const std::size_t end = window.find_first_of("\r\n");
  parse_result r;
  if (end == std::string_view::npos) {
    if (const char* why = check_line(window, false, r.value)) return invalid(why);
    if (window.size() > max_line) return invalid("v1 line too long");
    return need_more();
  }
  // The spec forbids ending the line with a single CR or LF.
  if (window[end] == '\n') return invalid("v1 line ends in a bare LF");
  if (end > max_line) return invalid("v1 line too long");
  if (const char* why = check_line(window.substr(0, end), true, r.value)) return invalid(why);
  if (end + 1 == window.size()) return need_more();  // the LF has yet to come
  if (window[end + 1] != '\n') return invalid("v1 line has a CR without LF");
  r.status = parse_status::complete;
  r.consumed = end + 2;
  return r;
}

}  // namespace kmr::proxy::detail

// SPDX-License-Identifier: MIT
// The PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2), which a
// load balancer puts before the first byte of a connection to say who the client was:
// an incremental parser that tells v1 from v2 by the first byte, and two builders.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace kmr::proxy {

// A v1 line is at most 107 bytes with its CRLF ("PROXY UNKNOWN" and two full IPv6
// addresses and ports, spec §2.1). A v2 header is 16 bytes plus a 16-bit length; this
// parser refuses one longer than max_v2_header in total. A caller that MSG_PEEKs
// max_header bytes always has enough for a verdict.
inline constexpr std::size_t max_v1_header = 107;
inline constexpr std::size_t max_v2_header = 4096;
inline constexpr std::size_t max_header = max_v2_header;

struct header {
  // v2 LOCAL command, v1 "UNKNOWN", or a v2 PROXY command with AF_UNSPEC, AF_UNIX or
  // the UNSPEC protocol: there are no usable addresses, and the receiver uses the real
  // connection's endpoints (spec §2.1, §2.2). source and destination stay zeroed.
  bool local = false;
  bool datagram = false;  // v2 DGRAM (UDP) instead of STREAM (TCP); never set by v1
  // AF_INET or AF_INET6, ports in network order as in sockaddr_in / sockaddr_in6.
  sockaddr_storage source{};
  sockaddr_storage destination{};
};

enum class parse_status { need_more, complete, invalid };

struct parse_result {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;  // complete: the header's length; later bytes are payload
  header value{};            // complete: what the header says
  std::string error;         // invalid: why, short, for a log line
};

// Parses a PROXY header at the start of `data`, v1 or v2 as its first byte says ('P'
// or '\r'). need_more is returned only while `data` is a proper prefix of something
// that can still become a valid header, so the caller peeks or reads more and calls
// again with all the bytes so far; anything else is refused as soon as it is seen.
// need_more therefore always means data.size() < max_header.
//
// Strict where the spec is (§2.1): v1 is "PROXY" and single spaces, TCP4 with dotted
// IPv4 without leading zeros, TCP6 with IPv6 text, ports 0-65535 without leading zeros,
// CRLF within 107 bytes (never a bare CR or LF). For "PROXY UNKNOWN", any bytes but CR
// and LF may follow a space before the CRLF, and are ignored, as the spec asks.
// v2: version 2 only, commands LOCAL and PROXY only, families UNSPEC/INET/INET6/UNIX
// and protocols UNSPEC/STREAM/DGRAM only. An address block shorter than the family
// needs is refused. After the addresses of INET, INET6 and UNIX, TLVs are checked for
// length only (none may run past the header) and skipped. For LOCAL, UNSPEC and UNIX
// the addresses are ignored (local = true): the spec asks receivers to accept these and
// use the real endpoints, and a UNIX path says nothing about the client we could use.
parse_result parse(std::span<const std::byte> data);

// "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" or the TCP6 form. Written as
// "PROXY UNKNOWN\r\n" when the header is local, when an address is neither AF_INET
// nor AF_INET6, and when it is a datagram one (v1 has no form for UDP). If the two
// families differ, the IPv4 address is written IPv4-mapped ("::ffff:1.2.3.4") in TCP6.
std::vector<std::byte> build_v1(const header& h);

// The binary form: signature, 0x21 (PROXY), family and protocol 0x11, 0x12, 0x21 or
// 0x22, the length and the addresses; no TLVs. A local header is 0x20 (LOCAL) with
// family 0x00 and no addresses. If the families differ, the IPv4 address is sent
// IPv4-mapped in an INET6 block; IPv4-mapped addresses on both sides stay INET6. An
// address neither AF_INET nor AF_INET6 gives PROXY with AF_UNSPEC and no addresses, as
// the spec says for unsupported families (parse reads that back as local).
std::vector<std::byte> build_v2(const header& h);

}  // namespace kmr::proxy

// SPDX-License-Identifier: MIT
// libFuzzer target: the PROXY protocol v1/v2 parser on arbitrary bytes. Beyond not
// crashing: need_more only below max_header, a complete header is a sane length and
// builds back (v2 and v1) to the same addresses, and the verdict does not depend on how
// the bytes were split into reads.
#include "proxy/proxy_header.hpp"

#include "proxy/sockaddr_text.hpp"

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

using kmr::proxy::header;
using kmr::proxy::max_header;
using kmr::proxy::parse;
using kmr::proxy::parse_result;
using kmr::proxy::parse_status;

constexpr std::size_t max_prefix_checked = 512;  // keeps the quadratic check fast

void check(bool ok) {
  if (!ok) std::abort();  // a failed invariant must look like a crash to libFuzzer
}

bool same_addresses(const header& a, const header& b) {
  return kmr::proxy::address_text(a.source) == kmr::proxy::address_text(b.source) &&
         kmr::proxy::address_text(a.destination) == kmr::proxy::address_text(b.destination);
}

void check_result(std::span<const std::byte> data, const parse_result& r) {
  switch (r.status) {
    case parse_status::need_more:
      check(data.size() < max_header);
      check(r.error.empty());
      break;
    case parse_status::invalid:
      check(!r.error.empty());
      break;
    case parse_status::complete:
      check(r.consumed > 0 && r.consumed <= data.size() && r.consumed <= max_header);
      if (r.value.local) {
        check(r.value.source.ss_family == AF_UNSPEC && r.value.destination.ss_family == AF_UNSPEC);
        break;
      }
      check(r.value.source.ss_family == AF_INET || r.value.source.ss_family == AF_INET6);
      check(r.value.source.ss_family == r.value.destination.ss_family);
      break;
  }
}

// A parsed header with addresses builds back to one that parses to the same addresses.
void check_rebuild(const header& h) {
  const auto v2 = kmr::proxy::build_v2(h);
  const parse_result again = parse(v2);
  check(again.status == parse_status::complete && again.consumed == v2.size());
  check(!again.value.local && again.value.datagram == h.datagram);
  check(same_addresses(again.value, h));
  if (h.datagram) return;  // v1 has no datagram form
  const auto v1 = kmr::proxy::build_v1(h);
  const parse_result line = parse(v1);
  check(line.status == parse_status::complete && line.consumed == v1.size());
  check(!line.value.local && same_addresses(line.value, h));
}

// Every prefix gets need_more or the final verdict; once decided, more bytes never
// change it (nothing after a complete header is looked at).
void check_prefix(std::span<const std::byte> data, std::size_t n, const parse_result& whole,
                  bool& decided) {
  const parse_result p = parse(data.first(n));
  check_result(data.first(n), p);
  if (p.status == parse_status::need_more) {
    check(!decided);
    return;
  }
  decided = true;
  check(p.status == whole.status && p.consumed == whole.consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
  const std::span<const std::byte> data(reinterpret_cast<const std::byte*>(raw), size);
  const parse_result whole = parse(data);
  check_result(data, whole);
  if (whole.status == parse_status::complete && !whole.value.local) check_rebuild(whole.value);

  bool decided = false;
  if (size <= max_prefix_checked) {
    for (std::size_t n = 0; n <= size; ++n) check_prefix(data, n, whole, decided);
  } else {
    // Long inputs (v2 with TLVs): a few cuts around the interesting places.
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{13}, std::size_t{16},
                          size / 2, size - 1, size}) {
      const parse_result p = parse(data.first(n));
      check_result(data.first(n), p);
      check(p.status == parse_status::need_more ||
            (p.status == whole.status && p.consumed == whole.consumed));
    }
  }
  return 0;
}

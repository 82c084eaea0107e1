// SPDX-License-Identifier: MIT
// Deterministic pseudo-random payloads and SHA-256 digests, so a test can check that
// every byte crossed the tunnel in order without keeping a copy of what it received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace kmr::test {

// `size` bytes from a seeded generator: the same (size, seed) gives the same bytes, and
// different seeds give unrelated bytes (so crossed connections are caught).
std::vector<std::uint8_t> make_payload(std::size_t size, std::uint64_t seed);

// Byte count plus SHA-256: equal digests mean equal streams.
struct digest {
  std::uint64_t bytes = 0;
  std::string sha256;  // lowercase hex
  friend bool operator==(const digest&, const digest&) = default;
};
std::ostream& operator<<(std::ostream& out, const digest& d);

// Incremental SHA-256 over a stream that arrives in pieces.
class digest_builder {
 public:
  digest_builder();
  ~digest_builder();
  digest_builder(digest_builder&&) noexcept;
  digest_builder& operator=(digest_builder&&) noexcept;

  void update(std::span<const std::uint8_t> bytes);
  digest finish();  // the builder starts over afterwards

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::uint64_t bytes_ = 0;
};

digest digest_of(std::span<const std::uint8_t> bytes);

}  // namespace kmr::test

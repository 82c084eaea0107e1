// SPDX-License-Identifier: MIT
// The Prometheus text exposition format, version 0.0.4: what a /metrics scrape returns.
// It only renders lines; collecting the numbers is the caller's business. Names are
// compile-time identifiers, so an invalid one is a bug: debug builds assert, release
// builds drop the line (one malformed line would make Prometheus reject the whole scrape).
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace kmr::metrics {

// The Content-Type header of a scrape response.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

enum class metric_type { counter, gauge, histogram };

// One label of a sample; the value may be any bytes (it is escaped), the name must be valid.
struct label {
  std::string_view name;
  std::string_view value;
};

bool valid_metric_name(std::string_view name) noexcept;  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_label_name(std::string_view name) noexcept;   // [a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix

class exposition {
 public:
  // "# HELP name help" (backslash and newline escaped) and "# TYPE name type". For a
  // counter, `name` is the sample name, ending in _total.
  void family(std::string_view name, metric_type type, std::string_view help);

  // One line "name{a="x",b="y"} value" ("name value" without labels). Label values have
  // backslash, double quote and newline escaped; other bytes pass through.
  void sample(std::string_view name, std::span<const label> labels, std::uint64_t value);
  void sample(std::string_view name, std::span<const label> labels, std::int64_t value);
  // NaN, +Inf and -Inf as Prometheus spells them; otherwise the shortest text that reads
  // back as the same double, so whole values below 1e16 are plain integers ("1", "1000").
  void sample(std::string_view name, std::span<const label> labels, double value);
  // Any other integer type (int, unsigned, size_t...), which would be ambiguous otherwise.
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  void sample(std::string_view name, std::span<const label> labels, T value) {
    if constexpr (std::is_signed_v<T>) sample(name, labels, static_cast<std::int64_t>(value));
    else sample(name, labels, static_cast<std::uint64_t>(value));
  }

  // One label set of a histogram: name_bucket{...,le="bound"} with cumulative counts for
  // each bound, then le="+Inf" (the total), name_sum and name_count. `bucket_counts` are
  // per bucket, not cumulative, with one more than `upper_bounds` for the values above
  // the last bound. Bounds must be finite and strictly increasing; no label may be "le".
  void histogram(std::string_view name, std::span<const label> labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> bucket_counts, double sum);

  const std::string& text() const noexcept { return text_; }
  // The text so far; the writer is empty afterwards.
  std::string take() noexcept;

 private:
  // Checks the names, then writes "name{labels}"; false (and nothing written) if invalid.
  bool start(std::string_view name, std::span<const label> labels);
  void labels(std::span<const label> labels, std::string_view le);
  void line_end(std::string_view value);

  std::string text_;
};

}  // namespace kmr::metrics

// SPDX-License-Identifier: MIT
#include "metrics/exposition.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>
#include <iterator>

namespace kmr::metrics {
namespace {

bool name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_char(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }

// A bad name or shape is the caller's bug: stop a debug build right there, and let a
// release build skip the line rather than serve a scrape that Prometheus rejects whole.
bool usable(bool ok) noexcept {
  assert(ok && "invalid metric name, label name or histogram shape");
  return ok;
}

bool usable_labels(std::span<const label> labels, bool histogram) noexcept {
  for (const auto& l : labels) {
    if (!valid_label_name(l.name) || (histogram && l.name == "le")) return false;
  }
  return true;
}

const char* type_name(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// The spelling of Go's strconv.ParseFloat, which is what the scraper reads values with.
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // fmt's shortest round-trip form: whole numbers below 1e16 as plain digits ("1", not
    // "1.0"), larger ones as e.g. 1e+16, which ParseFloat reads the same.
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(name_start(name[0]) || name[0] == ':')) return false;
  for (const char c : name) {
    if (!name_char(c) && c != ':') return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  // Names starting with "__" are reserved for Prometheus' own use.
  if (name.empty() || !name_start(name[0]) || name.starts_with("__")) return false;
  for (const char c : name) {
    if (!name_char(c)) return false;
  }
  return true;
}

void exposition::family(std::string_view name, metric_type type, std::string_view help) {
  if (!usable(valid_metric_name(name))) return;
  text_.append("# HELP ").append(name).push_back(' ');
  append_escaped(text_, help, false);
  text_.append("\n# TYPE ").append(name).push_back(' ');
  text_.append(type_name(type)).push_back('\n');
}

void exposition::sample(std::string_view name, std::span<const label> labels, std::uint64_t value) {
  const fmt::format_int digits(value);
  if (start(name, labels)) line_end({digits.data(), digits.size()});
}

void exposition::sample(std::string_view name, std::span<const label> labels, std::int64_t value) {
  const fmt::format_int digits(value);
  if (start(name, labels)) line_end({digits.data(), digits.size()});
}

void exposition::sample(std::string_view name, std::span<const label> labels, double value) {
  std::string v;
  append_value(v, value);
  if (start(name, labels)) line_end(v);
}

void exposition::histogram(std::string_view name, std::span<const label> labels,
                           std::span<const double> upper_bounds, std::span<const std::uint64_t> bucket_counts,
                           double sum) {
  bool shape = bucket_counts.size() == upper_bounds.size() + 1;
  for (std::size_t i = 0; i < upper_bounds.size() && shape; ++i) {
    shape = std::isfinite(upper_bounds[i]) && (i == 0 || upper_bounds[i - 1] < upper_bounds[i]);
  }
  if (!usable(valid_metric_name(name) && usable_labels(labels, true) && shape)) return;

  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i <= upper_bounds.size(); ++i) {
    cumulative += bucket_counts[i];
    le.clear();
    if (i < upper_bounds.size()) append_value(le, upper_bounds[i]);
    else le = "+Inf";
    const fmt::format_int digits(cumulative);
    text_.append(name).append("_bucket");
    this->labels(labels, le);
    line_end({digits.data(), digits.size()});
  }
  text_.append(name).append("_sum");
  this->labels(labels, {});
  std::string v;
  append_value(v, sum);
  line_end(v);
  const fmt::format_int count(cumulative);
  text_.append(name).append("_count");
  this->labels(labels, {});
  line_end({count.data(), count.size()});
}

std::string exposition::take() noexcept {
  std::string out = std::move(text_);
  text_.clear();
  return out;
}

bool exposition::start(std::string_view name, std::span<const label> labels) {
  if (!usable(valid_metric_name(name) && usable_labels(labels, false))) return false;
  text_.append(name);
  this->labels(labels, {});
  return true;
}

// {a="x",b="y"} plus le="..." last when given; nothing at all for no labels.
void exposition::labels(std::span<const label> labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  char sep = '{';
  for (const auto& l : labels) {
    text_.push_back(sep);
    text_.append(l.name).append("=\"");
    append_escaped(text_, l.value, true);
    text_.push_back('"');
    sep = ',';
  }
  if (!le.empty()) {
    text_.push_back(sep);
    text_.append("le=\"").append(le).push_back('"');
  }
  text_.push_back('}');
}

void exposition::line_end(std::string_view value) {
  text_.push_back(' ');
  text_.append(value).push_back('\n');
}

}  // namespace kmr::metrics

// SPDX-License-Identifier: MIT
// A minimal HTTP/1.1 client for the metrics endpoint, bounded by a deadline, and a reader
// for the samples of a Prometheus text exposition.
#pragma once

#include "support/deadline.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kmr::test {

struct http_reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// Sends `request` (a whole request, e.g. "GET /metrics HTTP/1.1\r\n...") and reads the reply
// until the server closes or Content-Length is reached; nullopt on error or timeout.
std::optional<http_reply> http_exchange(const std::string& host, std::uint16_t port, std::string_view request,
                                        deadline d);

// GET `path` with Connection: close.
std::optional<http_reply> http_get(const std::string& host, std::uint16_t port, std::string_view path, deadline d);

// The value of the sample written exactly as `series` (e.g.
// `kaminari_bytes_total{side="client",transport="tcp",direction="upstream"}`), or nullopt.
std::optional<double> sample_value(std::string_view exposition, std::string_view series);

// The port of the "metrics: http://HOST:PORT/metrics" line, or 0.
std::uint16_t metrics_port_of(std::string_view line);

}  // namespace kmr::test

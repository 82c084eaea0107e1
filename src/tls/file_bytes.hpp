// SPDX-License-Identifier: MIT
// Reads a certificate, key, CA or OCSP file whole, so that a missing or unreadable file
// is reported with the system's reason before OpenSSL sees any bytes.
#pragma once

#include "core/expected.hpp"

#include <cstddef>
#include <string>

namespace kmr::tls {

// Larger files are refused: these are a few KiB, and the limit keeps a mistaken path
// (a device, a huge log) from eating memory at start-up.
inline constexpr std::size_t max_credential_file_size = 4 * 1024 * 1024;

// The whole file, or a line such as "cannot read /x.pem: No such file or directory".
// An empty file is returned as "", for the caller to refuse with its own words.
expected<std::string, std::string> read_file_bytes(const std::string& path);

}  // namespace kmr::tls

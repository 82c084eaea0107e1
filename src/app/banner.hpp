// SPDX-License-Identifier: MIT
// The start-up lines every program prints, whatever the log level, as the original does:
// they are how an operator (and a test, with port 0) learns what was bound and how.
#pragma once

#include "app/runtime.hpp"

#include <string>

namespace kmr::app {

// "kaminaris 0.1.0", "listen: ...", "remote: ...", the layers, then the warnings about
// the options, and what the TLS material is ("certificate: subject ...").
void print_banner(const runtime& r, const std::string& bound);

// The tls line, as the original prints it ("tls: sni: ..., alpn: [...], ...").
std::string tls_banner(const opt::tunnel_config& cfg);

}  // namespace kmr::app

// SPDX-License-Identifier: MIT
// Builds the process's TLS layer from its options, once, before any connection.
#pragma once

#include "app/session.hpp"
#include "core/expected.hpp"

#include <memory>

namespace kmr::app {

// Null without the tls option; an error names the option to blame (e.g. "key").
expected<std::unique_ptr<tls_setup>, tls::context_error> make_tls_setup(const opt::tunnel_config& cfg);

// The banner line, as the original prints it ("tls: sni: ..., alpn: [...], ...").
std::string tls_banner(const opt::tunnel_config& cfg);

}  // namespace kmr::app

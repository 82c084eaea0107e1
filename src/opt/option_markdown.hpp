// SPDX-License-Identifier: MIT
// The option tables of docs/options.md and README.md, generated from the option table
// between marker comments, so that the prose around them stays hand-written.
#pragma once

#include "core/expected.hpp"

#include <string>
#include <string_view>

namespace kmr::opt {

// A generated region of a Markdown document:
//   <!-- options:begin SELECTOR -->         or  <!-- options:begin SELECTOR brief -->
//   (the table, regenerated)
//   <!-- options:end -->
// SELECTOR is a group ("layers", "behaviour", "udp-over-tcp", "operations") or a layer flag
// ("ws", "tls", "uot"). The table gives each option's description, or with `brief` the
// one-line help of --help.

// The table of the options that `selector` names; an error for an unknown selector.
expected<std::string, std::string> options_markdown_table(std::string_view selector, bool brief);

// Every docs/options.md section's table, each between its markers, ready to paste.
std::string options_markdown();

// `document` with each marked region's table regenerated. Fails, naming the line, on a
// marker without its partner or an unknown selector, and when there is no region at all.
expected<std::string, std::string> regenerate_option_regions(std::string_view document);

}  // namespace kmr::opt

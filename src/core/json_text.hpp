// SPDX-License-Identifier: MIT
// JSON string literals for log lines. Log messages carry bytes from the network (peer
// names, HTTP heads, error text), so the output must stay one valid line of UTF-8 JSON
// whatever the input: control bytes are escaped and invalid UTF-8 becomes U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace kmr {

// Appends `s` as a quoted JSON string: `"` and `\` escaped, \b \f \n \r \t in their short
// forms, other bytes below 0x20 and 0x7f as \u00xx. Valid UTF-8 passes through unchanged;
// each maximal subpart of an invalid sequence (Unicode 15 §3.9, "U+FFFD substitution of
// maximal subparts", as WHATWG's decoder does) becomes one \ufffd. Throws only bad_alloc.
void append_json_string(std::string& out, std::string_view s);

}  // namespace kmr

// SPDX-License-Identifier: MIT
// How a user's or a peer's value appears in an error line, whatever its bytes.
#pragma once

#include <string>
#include <string_view>

namespace kmr {

// The value in single quotes, control and non-ASCII bytes (and quote, backslash) as
// \xNN, cut after 64 bytes with "...", so that a hostile value cannot garble the log.
std::string quoted_for_log(std::string_view text);

}  // namespace kmr

// SPDX-License-Identifier: MIT
// The options part of --help, generated from the option table: a heading per group and a
// line per option, each marked with its side and default.
#pragma once

#include <string>

namespace kmr::opt {

// Every option of both programs, by group. One string is shared by both ends, so each
// program lists the other's options too, marked "client:" or "server:".
std::string options_help();

}  // namespace kmr::opt

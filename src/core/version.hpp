// SPDX-License-Identifier: MIT
// The program version, from one place: CMake's project(VERSION), passed as KMR_VERSION.
#pragma once

namespace kmr {

inline constexpr const char* version = KMR_VERSION;

}  // namespace kmr

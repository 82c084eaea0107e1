// SPDX-License-Identifier: MIT
// Each connection costs two descriptors: raise the soft limit so a busy tunnel is not
// capped by a distribution's conservative default.
#pragma once

namespace kmr::net {

// Raises RLIMIT_NOFILE's soft limit to the hard limit. Returns the resulting soft limit,
// or -1 if it could not be read.
long raise_nofile_limit() noexcept;

// The soft RLIMIT_NOFILE now, or -1 if it is unlimited or cannot be read.
long nofile_limit() noexcept;

}  // namespace kmr::net

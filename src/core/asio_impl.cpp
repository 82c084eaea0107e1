// SPDX-License-Identifier: MIT
// The one translation unit that compiles Asio's implementation (separate compilation).
#include <boost/asio/impl/src.hpp>

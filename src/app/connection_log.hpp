// SPDX-License-Identifier: MIT
// log-connections: one info line per finished connection or UDP flow, with what an
// operator asks first (the shape of haproxy's tcplog): who, to where, over what, for how
// long, how many bytes each way, and how it ended.
#pragma once

#include "app/session.hpp"

namespace kmr::app {

// Text:  connection ended id=12 peer=127.0.0.1:50312 remote=127.0.0.1:8388 transport=wss
//        duration=1.532 bytes_up=1024 bytes_down=52311 end=completed
// JSON:  the same fields as keys, beside time, level and message.
void log_connection_end(const connection& c) noexcept;

}  // namespace kmr::app

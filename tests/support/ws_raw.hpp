// SPDX-License-Identifier: MIT
// A hand-driven WebSocket peer on a blocking test socket, built on the product's pure
// codec (ws/frame.hpp, ws/handshake.hpp): to send exactly the bytes a test wants,
// including hostile ones, and to read what the product sends back.
#pragma once

#include "support/deadline.hpp"
#include "ws/frame.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kmr::test {

// A whole frame: header (with `mask` if given) plus payload, masked accordingly.
std::vector<std::uint8_t> make_frame(ws::opcode op, const std::vector<std::uint8_t>& payload,
                                     std::optional<ws::mask_key> mask = std::nullopt, bool fin = true);

// Reads until the end of an HTTP header block ("\r\n\r\n"). Returns the block; bytes read
// past it are appended to `surplus`. nullopt on EOF, error or timeout.
std::optional<std::string> read_http_head(int fd, std::vector<std::uint8_t>& surplus, deadline d);

// One frame event read from the socket.
struct received_frame {
  ws::opcode op = ws::opcode::binary;
  std::vector<std::uint8_t> payload;  // data: whatever this read delivered; control: whole
};

// Reads frames (starting with `surplus`) until `want` payload bytes of data frames have
// arrived; control frames seen on the way go to `controls`. nullopt on EOF before that,
// error, protocol error or timeout.
std::optional<std::vector<std::uint8_t>> read_data(int fd, std::vector<std::uint8_t>& surplus, std::size_t want,
                                                    std::vector<received_frame>& controls, deadline d);

// Reads until a control frame of kind `op` arrives; its payload, or nullopt.
std::optional<std::vector<std::uint8_t>> read_control(int fd, std::vector<std::uint8_t>& surplus, ws::opcode op,
                                                       deadline d);

}  // namespace kmr::test

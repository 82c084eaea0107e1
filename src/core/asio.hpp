// SPDX-License-Identifier: MIT
// The Asio names this project uses, in one place, so an Asio upgrade touches one file.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace kmr {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;
template <class T>
using awaitable = asio::awaitable<T>;

// Completion token for the data path: results come back as (error_code, ...) tuples,
// never as exceptions (STYLE rule 7).
inline constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
}  // namespace kmr

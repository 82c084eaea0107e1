// SPDX-License-Identifier: MIT
#include "tls/stream.hpp"

#include "tls/ticket_keys.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "net/socket_options.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace kmr::tls {
namespace {

using result = std::tuple<error_code, std::optional<stream>>;

}  // namespace

stream::stream(tcp::socket socket, std::unique_ptr<send_batch> out, ssl_ptr ssl)
    : socket_(std::move(socket)), out_(std::move(out)), ssl_(std::move(ssl)),
      handshake_done_(std::make_unique<asio::steady_timer>(socket_.get_executor(),
                                                           std::chrono::steady_clock::time_point::max())) {}

error_code stream::classify(int ssl_error, int ret) {
  // nginx answers our close_notify with a bare FIN, never its own close_notify. Once we
  // have ended our direction that FIN is the end of theirs; before, it is a truncation.
  if (close_notify_sent_ && ssl_error == SSL_ERROR_SSL &&
      ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ERR_clear_error();
    return asio::error::eof;
  }
  switch (ssl_error) {
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return asio::error::eof;  // the peer's close_notify: a clean end of its direction
    case SSL_ERROR_SYSCALL:
      failure_ = take_openssl_errors();
      if (ret == 0 || errno == 0) {
        // A FIN without close_notify: truncation. The original treats it as an error.
        if (failure_.empty()) failure_ = "the peer closed without close_notify";
        return asio::error::connection_reset;
      }
      return error_code(errno, boost::system::system_category());
    default:
      failure_ = take_openssl_errors();
      if (failure_.empty()) failure_ = "TLS error " + std::to_string(ssl_error);
      if (const long v = SSL_get_verify_result(ssl_.get()); v != X509_V_OK)
        failure_ += std::string(" (") + X509_verify_cert_error_string(v) + ")";
      log::debug("TLS failure: {}", failure_);
      return errc::tls_failed;
  }
}

awaitable<result> stream::connect(tcp::socket socket, SSL_CTX* ctx, const client_settings& settings,
                                  session_store* store) {
  auto out = std::make_unique<send_batch>();
  ssl_ptr ssl(SSL_new(ctx));
  error_code ec;
  socket.non_blocking(true, ec);
  if (!ssl || ec || !prepare_client_ssl(ssl.get(), settings) || !out->attach(ssl.get(), socket.native_handle()))
    co_return result{errc::tls_failed, std::nullopt};
  if (store) attach_session_store(ssl.get(), store);
  SSL_set_connect_state(ssl.get());

  SSL_SESSION* ticket = store ? store->take() : nullptr;
  const bool early = ticket && settings.early_data && SSL_SESSION_get_max_early_data(ticket) > 0;
  if (ticket) {
    SSL_set_session(ssl.get(), ticket);  // takes its own reference
    SSL_SESSION_free(ticket);
  }
  stream s(std::move(socket), std::move(out), std::move(ssl));
  if (early) {
    s.phase_ = phase::client_early;  // the first writes ride with the ClientHello
    co_return result{error_code{}, std::move(s)};
  }
  ec = co_await s.drive([&s] { return SSL_do_handshake(s.ssl_.get()); });
  if (ec) {
    log::debug("TLS handshake failed: {}", s.failure_.empty() ? ec.message() : s.failure_);
    co_return result{ec, std::move(s)};
  }
  s.phase_ = phase::established;
  co_return result{error_code{}, std::move(s)};
}

awaitable<result> stream::accept(tcp::socket socket, SSL_CTX* ctx, SSL_CTX* sessions) {
  auto out = std::make_unique<send_batch>();
  ssl_ptr ssl(SSL_new(sessions ? sessions : ctx));
  const bool switched = !sessions || sessions == ctx || use_reloaded_context(ssl.get(), ctx);
  error_code ec;
  socket.non_blocking(true, ec);
  if (!ssl || !switched || ec || !out->attach(ssl.get(), socket.native_handle()))
    co_return result{errc::tls_failed, std::nullopt};
  SSL_set_accept_state(ssl.get());
  stream s(std::move(socket), std::move(out), std::move(ssl));

  // Read the ClientHello (and any early data) first: with early data, return at once.
  std::vector<std::byte> chunk(16 * 1024);
  bool finished = false;
  std::size_t n = 0;
  ec = co_await s.drive([&] {
    const int r = SSL_read_early_data(s.ssl_.get(), chunk.data(), chunk.size(), &n);
    if (r == SSL_READ_EARLY_DATA_ERROR) return 0;
    finished = r == SSL_READ_EARLY_DATA_FINISH;
    return 1;
  });
  if (ec) co_return result{ec, std::move(s)};
  if (n > 0) {
    chunk.resize(n);
    s.early_input_ = std::move(chunk);
    s.early_accepted_ = true;
  }
  if (!finished) {
    s.phase_ = phase::server_early;
    co_return result{error_code{}, std::move(s)};
  }
  ec = co_await s.drive([&s] { return SSL_do_handshake(s.ssl_.get()); });
  if (!ec) s.phase_ = phase::established;
  co_return result{ec, std::move(s)};
}

}  // namespace kmr::tls

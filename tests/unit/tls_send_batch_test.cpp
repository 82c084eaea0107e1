// SPDX-License-Identifier: MIT
// The socket BIO of tls/send_batch.hpp under a real TLS 1.3 connection over a non-blocking
// socket pair: the records of one SSL call wait in the batch and leave together, a full
// batch makes OpenSSL retry, and reads still tell a FIN without close_notify apart.
#include "tls/send_batch.hpp"  // first: the header must compile on its own

#include "tls/context.hpp"
#include "tls/openssl_ptr.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace {

using kmr::tls::send_batch;
using ssl_owner = std::unique_ptr<SSL, kmr::tls::openssl_free<SSL_free>>;

// AES-128-GCM in TLS 1.3: header, content type and tag around each record's payload.
constexpr std::size_t record_overhead = 5 + 1 + 16;

struct end {
  int fd = -1;
  send_batch batch;
  ssl_owner ssl;
};

// Sends what the batch holds; the socket pair's buffer takes a whole batch.
bool send_batch_out(end& e) {
  while (!e.batch.empty()) {
    const auto bytes = e.batch.pending();
    const ssize_t n = ::send(e.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    e.batch.consume(static_cast<std::size_t>(n));
  }
  return true;
}

bool nothing_to_read(int fd) {
  char c = 0;
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(i * 7 + i / 251);
  return v;
}

class TlsSendBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cctx = kmr::tls::make_client_context({.sni = "server.test", .insecure = true});
    auto sctx = kmr::tls::make_server_context({.self_signed_name = "server.test"});
    ASSERT_TRUE(cctx && sctx);
    client_ctx_ = std::move(*cctx);
    server_ctx_ = std::move(*sctx);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    for (int fd : fds) ASSERT_EQ(::fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    client_.fd = fds[0];
    server_.fd = fds[1];
    client_.ssl.reset(SSL_new(client_ctx_.get()));
    server_.ssl.reset(SSL_new(server_ctx_.get()));
    ASSERT_TRUE(kmr::tls::prepare_client_ssl(client_.ssl.get(), {.sni = "server.test", .insecure = true}));
    ASSERT_TRUE(client_.batch.attach(client_.ssl.get(), client_.fd));
    ASSERT_TRUE(server_.batch.attach(server_.ssl.get(), server_.fd));
    SSL_set_connect_state(client_.ssl.get());
    SSL_set_accept_state(server_.ssl.get());
    bool client_done = false;
    bool server_done = false;
    for (int turn = 0; turn < 20 && !(client_done && server_done); ++turn) {
      for (end* e : {&client_, &server_}) {
        const int r = SSL_do_handshake(e->ssl.get());
        const int err = SSL_get_error(e->ssl.get(), r);
        ASSERT_TRUE(r == 1 || err == SSL_ERROR_WANT_READ) << "SSL error " << err;
        ASSERT_TRUE(send_batch_out(*e));
        (e == &client_ ? client_done : server_done) = r == 1;
      }
    }
    ASSERT_TRUE(client_done && server_done);
    ASSERT_STREQ(SSL_get_cipher_name(client_.ssl.get()), "TLS_AES_128_GCM_SHA256");
  }

  void TearDown() override {
    client_.ssl.reset();
    server_.ssl.reset();
    ::close(client_.fd);
    ::close(server_.fd);
    ERR_clear_error();
  }

  // Reads on the server until `want` bytes came, sending what it writes (tickets).
  std::vector<std::byte> server_reads(std::size_t want) {
    std::vector<std::byte> got(want);
    std::size_t total = 0;
    for (int tries = 0; total < want && tries < 1000; ++tries) {
      std::size_t n = 0;
      if (SSL_read_ex(server_.ssl.get(), got.data() + total, want - total, &n) == 1) total += n;
      if (!send_batch_out(server_)) break;
    }
    got.resize(total);
    return got;
  }

  kmr::tls::ssl_ctx_ptr client_ctx_;
  kmr::tls::ssl_ctx_ptr server_ctx_;
  end client_;
  end server_;
};

TEST_F(TlsSendBatch, OneSslWriteLeavesAsOneBatch) {
  // A relay chunk: 64 KiB minus the relay's headroom, four records.
  const auto data = pattern(64 * 1024 - 16);
  std::size_t written = 0;
  ASSERT_EQ(SSL_write_ex(client_.ssl.get(), data.data(), data.size(), &written), 1);
  EXPECT_TRUE(nothing_to_read(server_.fd));  // nothing sent during the call
  EXPECT_EQ(client_.batch.pending().size(), data.size() + 4 * record_overhead);
  ASSERT_TRUE(send_batch_out(client_));
  EXPECT_TRUE(client_.batch.empty());
  EXPECT_EQ(server_reads(data.size()), data);
}

TEST_F(TlsSendBatch, FullBatchAsksForRetryAndLosesNothing) {
  // Six full records: four fit in the batch, the fifth does not.
  const auto data = pattern(6 * 16384);
  std::size_t written = 0;
  const int r = SSL_write_ex(client_.ssl.get(), data.data(), data.size(), &written);
  ASSERT_EQ(r, 0);
  ASSERT_EQ(SSL_get_error(client_.ssl.get(), r), SSL_ERROR_WANT_WRITE);
  EXPECT_EQ(client_.batch.pending().size(), 4 * (16384 + record_overhead));
  ASSERT_TRUE(send_batch_out(client_));
  ASSERT_EQ(SSL_write_ex(client_.ssl.get(), data.data(), data.size(), &written), 1);  // the same arguments
  EXPECT_EQ(written, data.size());
  EXPECT_EQ(client_.batch.pending().size(), 2 * (16384 + record_overhead));
  ASSERT_TRUE(send_batch_out(client_));
  EXPECT_EQ(server_reads(data.size()), data);
}

TEST_F(TlsSendBatch, FinWithoutCloseNotifyIsAnUnexpectedEof) {
  ASSERT_EQ(::shutdown(client_.fd, SHUT_WR), 0);
  std::byte b{};
  std::size_t n = 0;
  int r = 0;
  int err = SSL_ERROR_WANT_READ;
  for (int tries = 0; tries < 10 && err == SSL_ERROR_WANT_READ; ++tries) {
    r = SSL_read_ex(server_.ssl.get(), &b, 1, &n);  // tickets first, if any
    err = SSL_get_error(server_.ssl.get(), r);
  }
  EXPECT_EQ(err, SSL_ERROR_SSL);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_UNEXPECTED_EOF_WHILE_READING);
}

TEST_F(TlsSendBatch, CloseNotifyIsACleanEnd) {
  ASSERT_GE(SSL_shutdown(client_.ssl.get()), 0);
  ASSERT_TRUE(send_batch_out(client_));
  std::byte b{};
  std::size_t n = 0;
  int err = SSL_ERROR_WANT_READ;
  for (int tries = 0; tries < 10 && err == SSL_ERROR_WANT_READ; ++tries)
    err = SSL_get_error(server_.ssl.get(), SSL_read_ex(server_.ssl.get(), &b, 1, &n));
  EXPECT_EQ(err, SSL_ERROR_ZERO_RETURN);
}

}  // namespace

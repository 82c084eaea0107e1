// SPDX-License-Identifier: MIT
// The socket BIO of a TLS connection. It reads from the socket as OpenSSL's own does, but
// collects the records OpenSSL writes during one SSL call, so they leave in one send(2)
// afterwards (tls::stream sends them). OpenSSL writes each 16 KiB record on its own, so a
// 64 KiB relay write cost four sends, four loopback packets and four wake-ups of the
// reader; batched, it costs one, for one copy of the records in user space.
//
// The buffer is borrowed from a per-thread pool at the first record and given back once
// sent, so an idle connection holds none. When a call writes more than the buffer holds,
// the BIO asks OpenSSL to retry (SSL_ERROR_WANT_WRITE) and the caller sends first.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <span>

namespace kmr::tls {

class send_batch {
 public:
  // Four full TLS 1.3 records (16406 bytes each) and a short fifth: what SSL_write makes
  // of a 64 KiB relay chunk plus a WebSocket header. Below glibc's mmap threshold.
  static constexpr std::size_t capacity = 80 * 1024;

  send_batch() = default;
  ~send_batch() { clear(); }
  send_batch(const send_batch&) = delete;
  send_batch& operator=(const send_batch&) = delete;

  // Reads from the socket `fd` directly; writes into this batch (which must outlive the
  // SSL). One BIO for both, as SSL_set_fd makes: a held connection costs no more. False if
  // OpenSSL could not make it.
  bool attach(SSL* ssl, int fd);

  bool empty() const noexcept { return sent_ == size_; }
  std::span<const std::byte> pending() const noexcept { return {data_ + sent_, size_ - sent_}; }
  void consume(std::size_t n) noexcept;  // n bytes of pending() were sent
  void clear() noexcept;                 // drops what is pending and gives the buffer back

 private:
  static int bio_read(BIO* bio, char* out, int len);
  static int bio_write(BIO* bio, const char* data, int len);
  static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr);
  static const BIO_METHOD* method();

  int fd_ = -1;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t sent_ = 0;
};

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
#include "tls/send_batch.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace kmr::tls {
namespace {

// Buffers of send_batch::capacity bytes, kept per thread: a stream is used by one thread.
class batch_pool {
 public:
  static batch_pool& local() {
    thread_local batch_pool pool;
    return pool;
  }
  std::byte* acquire() {
    if (idle_.empty()) return std::make_unique_for_overwrite<std::byte[]>(send_batch::capacity).release();
    std::byte* b = idle_.back().release();
    idle_.pop_back();
    return b;
  }
  void release(std::byte* b) noexcept {
    std::unique_ptr<std::byte[]> owned(b);
    if (idle_.size() >= max_idle) return;  // freed
    try {
      idle_.push_back(std::move(owned));
    } catch (...) {
      // out of memory while pooling: the buffer is freed instead
    }
  }

 private:
  static constexpr std::size_t max_idle = 16;  // 1.25 MiB kept at most, per thread
  std::vector<std::unique_ptr<std::byte[]>> idle_;
};

}  // namespace

const BIO_METHOD* send_batch::method() {
  static BIO_METHOD* const m = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kaminari socket");
    if (made && (BIO_meth_set_read(made, bio_read) != 1 || BIO_meth_set_write(made, bio_write) != 1 ||
                 BIO_meth_set_ctrl(made, bio_ctrl) != 1)) {
      BIO_meth_free(made);
      made = nullptr;
    }
    return made;
  }();
  return m;
}

bool send_batch::attach(SSL* ssl, int fd) {
  const BIO_METHOD* m = method();
  if (m == nullptr) return false;
  BIO* bio = BIO_new(m);
  if (bio == nullptr) return false;
  fd_ = fd;
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // the SSL owns it now
  return true;
}

int send_batch::bio_read(BIO* bio, char* out, int len) {
  // As OpenSSL's socket BIO: its end-of-file flag is how SSL tells a peer's FIN without
  // close_notify (SSL_R_UNEXPECTED_EOF_WHILE_READING) from other failures.
  const auto* self = static_cast<const send_batch*>(BIO_get_data(bio));
  errno = 0;
  const auto n = ::read(self->fd_, out, static_cast<std::size_t>(len));
  const int ret = static_cast<int>(n);
  BIO_clear_retry_flags(bio);
  if (ret <= 0) {
    if (BIO_sock_should_retry(ret)) {
      BIO_set_retry_read(bio);
    } else if (ret == 0) {
      BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
    }
  }
  return ret;
}

int send_batch::bio_write(BIO* bio, const char* data, int len) {
  auto* self = static_cast<send_batch*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  const auto n = static_cast<std::size_t>(len);
  if (self->data_ == nullptr) self->data_ = batch_pool::local().acquire();
  if (self->size_ + n > capacity) {
    // Full: OpenSSL keeps the record and writes it again once the caller has sent these.
    if (self->size_ == 0) return -1;  // a record larger than the buffer: cannot happen
    BIO_set_retry_write(bio);
    return -1;
  }
  std::memcpy(self->data_ + self->size_, data, n);
  self->size_ += n;
  return len;
}

long send_batch::bio_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // the caller sends the batch, after the SSL call returns
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;  // no kernel TLS, no file descriptor to hand out
  }
}

void send_batch::consume(std::size_t n) noexcept {
  sent_ += n;
  if (sent_ == size_) clear();
}

void send_batch::clear() noexcept {
  if (data_ != nullptr) batch_pool::local().release(data_);
  data_ = nullptr;
  size_ = sent_ = 0;
}

}  // namespace kmr::tls

// SPDX-License-Identifier: MIT
#include "tls/file_bytes.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace kmr::tls {
namespace {

// Closes the descriptor on every return path.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string cannot_read(const std::string& path, int err) {
  return "cannot read " + path + ": " + std::strerror(err);
}

}  // namespace

expected<std::string, std::string> read_file_bytes(const std::string& path) {
  const fd_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return unexpected(cannot_read(path, errno));
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(file.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected(cannot_read(path, errno));  // EISDIR for a directory
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_credential_file_size) {
      return unexpected("cannot read " + path + ": larger than 4 MiB");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace kmr::tls

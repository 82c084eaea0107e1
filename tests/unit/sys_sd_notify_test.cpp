// SPDX-License-Identifier: MIT
#include "sys/sd_notify.hpp"  // first: the header must compile on its own

#include "support/deadline.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>  // setenv, unsetenv, mkdtemp (POSIX)
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

using kmr::sys::service_notifier;
using namespace std::chrono_literals;

namespace {

// The manager's end: an AF_UNIX datagram socket bound at a path or an abstract name
// (written "@name", as NOTIFY_SOCKET spells it).
class fake_manager {
 public:
  explicit fake_manager(const std::string& address) : address_(address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, address.data(), address.size());
    if (address[0] == '@') a.sun_path[0] = '\0';
    // The exact length, as the notifier must use too: for an abstract name every byte
    // counted is part of the name.
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address[0] == '/') ++length;
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), length) == 0;
  }
  ~fake_manager() {
    if (fd_ >= 0) ::close(fd_);
    if (bound_ && address_[0] == '/') ::unlink(address_.c_str());
  }
  fake_manager(const fake_manager&) = delete;
  fake_manager& operator=(const fake_manager&) = delete;

  bool bound() const { return bound_; }

  // The next datagram, or nullopt if none arrives in time.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 2000ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::string buf(8192, '\0');
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }

 private:
  std::string address_;
  int fd_ = -1;
  bool bound_ = false;
};

// A fresh directory under /tmp, removed (with the sockets the managers unlinked) at the end.
class temp_dir {
 public:
  temp_dir() {
    char pattern[] = "/tmp/kmr-sdnotify-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~temp_dir() {
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sets (or unsets) a variable for one scope and restores what was there.
class env_guard {
 public:
  env_guard(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = std::string(old);
    if (value != nullptr) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~env_guard() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  env_guard(const env_guard&) = delete;
  env_guard& operator=(const env_guard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string abstract_name(const char* tag) {
  return "@kmr-test-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(::time(nullptr));
}

std::uint64_t monotonic_usec() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1000000u + static_cast<std::uint64_t>(t.tv_nsec) / 1000u;
}

// Sends one of every helper and checks each datagram's exact bytes, in order.
void expect_every_message(fake_manager& m, const service_notifier& n) {
  ASSERT_TRUE(n.active());
  EXPECT_TRUE(n.ready());
  EXPECT_TRUE(n.ready("listening on 127.0.0.1:443"));
  const std::uint64_t before = monotonic_usec();
  EXPECT_TRUE(n.reloading());
  const std::uint64_t after = monotonic_usec();
  EXPECT_TRUE(n.stopping());
  EXPECT_TRUE(n.stopping("draining 3 connections"));
  EXPECT_TRUE(n.watchdog());
  EXPECT_TRUE(n.status("12 connections"));
  EXPECT_TRUE(n.send("EXTEND_TIMEOUT_USEC=5000000"));

  EXPECT_EQ(m.receive(), "READY=1");
  EXPECT_EQ(m.receive(), "READY=1\nSTATUS=listening on 127.0.0.1:443");
  const auto reload = m.receive();
  ASSERT_TRUE(reload);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(reload->substr(0, prefix.size()), prefix) << *reload;
  const std::string digits = reload->substr(prefix.size());
  ASSERT_FALSE(digits.empty());
  ASSERT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << *reload;
  const std::uint64_t stamp = std::stoull(digits);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
  EXPECT_EQ(m.receive(), "STOPPING=1");
  EXPECT_EQ(m.receive(), "STOPPING=1\nSTATUS=draining 3 connections");
  EXPECT_EQ(m.receive(), "WATCHDOG=1");
  EXPECT_EQ(m.receive(), "STATUS=12 connections");
  EXPECT_EQ(m.receive(), "EXTEND_TIMEOUT_USEC=5000000");
  EXPECT_EQ(m.receive(50ms), std::nullopt) << "one datagram too many";
}

}  // namespace

TEST(SdNotify, SendsExactMessagesInOrder_ToPathSocket) {
  temp_dir dir;
  ASSERT_FALSE(dir.path().empty());
  fake_manager m(dir.path() + "/notify");
  ASSERT_TRUE(m.bound());
  const service_notifier n(dir.path() + "/notify");
  expect_every_message(m, n);
}

TEST(SdNotify, SendsExactMessagesInOrder_ToAbstractSocket) {
  const std::string name = abstract_name("abstract");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  const service_notifier n(name);
  expect_every_message(m, n);
}

TEST(SdNotify, AbstractAddress_HasExactLength) {
  // Bound with the exact length: a sender that used sizeof(sockaddr_un) would aim at a
  // different name (padded with NULs) and get ECONNREFUSED.
  const std::string name = abstract_name("len");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  const service_notifier n(name);
  ASSERT_TRUE(n.send("X=1"));
  EXPECT_EQ(m.receive(), "X=1");
  // A prefix of the name is another address: nothing listens there.
  const service_notifier shorter(name.substr(0, name.size() - 1));
  ASSERT_TRUE(shorter.active());
  EXPECT_FALSE(shorter.send("X=2"));
  EXPECT_EQ(m.receive(50ms), std::nullopt);
}

TEST(SdNotify, ReplacesNewlinesAndNuls_InStatus) {
  const std::string name = abstract_name("newline");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  const service_notifier n(name);
  EXPECT_TRUE(n.status("peer a\nREADY=1"));
  EXPECT_TRUE(n.ready(std::string("x\ny\0z", 5)));
  EXPECT_TRUE(n.stopping("\n"));
  EXPECT_EQ(m.receive(), "STATUS=peer a READY=1");
  EXPECT_EQ(m.receive(), "READY=1\nSTATUS=x y z");
  EXPECT_EQ(m.receive(), "STOPPING=1\nSTATUS= ");
}

TEST(SdNotify, CutsLongStatus_AtUtf8Boundary) {
  const std::string name = abstract_name("long");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  const service_notifier n(name);
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "\xC3\xA9";  // U+00E9, two bytes
  EXPECT_TRUE(n.status(text));
  const auto got = m.receive();
  ASSERT_TRUE(got);
  // 4096 bytes at most; "STATUS=" is 7, leaving 4089: 2044 whole characters fit.
  EXPECT_EQ(got->size(), 7u + 2044u * 2u);
  EXPECT_EQ(*got, "STATUS=" + text.substr(0, 2044 * 2));
}

TEST(SdNotify, IsInactive_ForInvalidAddresses) {
  const std::string too_long_path = "/" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'a');  // 108
  const std::string too_long_name = "@" + std::string(sizeof(sockaddr_un::sun_path), 'a');      // 109
  for (const std::string& bad : {std::string(), std::string("relative/notify"), std::string("@"),
                                 std::string("/"), std::string("vsock:2:1234"), too_long_path,
                                 too_long_name, std::string("/tmp/a\0b", 8)}) {
    const service_notifier n(bad);
    EXPECT_FALSE(n.active()) << "'" << bad << "'";
    EXPECT_FALSE(n.ready()) << "'" << bad << "'";
  }
  // The longest of each kind still fits.
  EXPECT_TRUE(service_notifier("/" + std::string(sizeof(sockaddr_un::sun_path) - 2, 'a')).active());
  EXPECT_TRUE(service_notifier("@" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'a')).active());
}

TEST(SdNotify, LongestPath_Delivers) {
  temp_dir dir;
  ASSERT_FALSE(dir.path().empty());
  // 107 bytes, the most sun_path holds with its terminating NUL.
  std::string path = dir.path() + "/";
  path += std::string(sizeof(sockaddr_un::sun_path) - 1 - path.size(), 'n');
  ASSERT_EQ(path.size(), 107u);
  fake_manager m(path);
  ASSERT_TRUE(m.bound());
  const service_notifier n(path);
  EXPECT_TRUE(n.watchdog());
  EXPECT_EQ(m.receive(), "WATCHDOG=1");
}

TEST(SdNotify, InactiveNotifier_ReturnsFalseEverywhere) {
  const service_notifier n;
  EXPECT_FALSE(n.active());
  EXPECT_FALSE(n.send("READY=1"));
  EXPECT_FALSE(n.ready("x"));
  EXPECT_FALSE(n.reloading());
  EXPECT_FALSE(n.stopping());
  EXPECT_FALSE(n.watchdog());
  EXPECT_FALSE(n.status("x"));
}

TEST(SdNotify, FromEnvironment_ReadsNotifySocketAndKeepsIt) {
  const std::string name = abstract_name("env");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  {
    env_guard g("NOTIFY_SOCKET", name.c_str());
    const auto n = service_notifier::from_environment();
    EXPECT_TRUE(n.ready());
    EXPECT_EQ(m.receive(), "READY=1");
    ASSERT_NE(::getenv("NOTIFY_SOCKET"), nullptr);
    EXPECT_EQ(std::string(::getenv("NOTIFY_SOCKET")), name);
  }
  {
    env_guard g("NOTIFY_SOCKET", nullptr);
    EXPECT_FALSE(service_notifier::from_environment().active());
  }
  {
    env_guard g("NOTIFY_SOCKET", "");
    EXPECT_FALSE(service_notifier::from_environment().active());
  }
  {
    env_guard g("NOTIFY_SOCKET", "run/systemd/notify");
    EXPECT_FALSE(service_notifier::from_environment().active());
  }
}

TEST(SdNotify, SendFails_WhenNobodyListens) {
  temp_dir dir;
  ASSERT_FALSE(dir.path().empty());
  const service_notifier n(dir.path() + "/nobody");
  EXPECT_TRUE(n.active());
  EXPECT_FALSE(n.ready());
  EXPECT_FALSE(n.watchdog());
}

TEST(SdNotify, NeverBlocks_WhenTheManagerReadsNothing) {
  const std::string name = abstract_name("full");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  const service_notifier n(name);
  // The receive queue holds net.unix.max_dgram_qlen datagrams (10 by default); a
  // blocking send would hang here, and SIGALRM's default action turns that into a
  // failure (the test process dies) after 10 s.
  const auto start = kmr::test::clock::now();
  ::alarm(10);
  int refused = 0;
  for (int i = 0; i < 2000; ++i) refused += n.watchdog() ? 0 : 1;
  ::alarm(0);
  EXPECT_GT(refused, 0);
  EXPECT_LT(kmr::test::seconds_since(start), 5.0);
  EXPECT_EQ(m.receive(), "WATCHDOG=1");  // the queued ones are intact
}

TEST(SdNotify, OwnsOneCloexecDatagramSocket_ClosedByDestructor) {
  // socket() takes the lowest free descriptor: find it first (this test starts no threads).
  const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(probe, 0);
  ::close(probe);
  {
    const service_notifier n("@kmr-test-unused");
    ASSERT_TRUE(n.active());
    const int flags = ::fcntl(probe, F_GETFD);
    ASSERT_GE(flags, 0) << "the notifier's socket is not the lowest free fd";
    EXPECT_NE(flags & FD_CLOEXEC, 0);
    int type = 0;
    socklen_t len = sizeof(type);
    ASSERT_EQ(::getsockopt(probe, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    EXPECT_EQ(type, SOCK_DGRAM);
  }
  EXPECT_EQ(::fcntl(probe, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(SdNotify, MoveTransfersTheSocket) {
  const std::string name = abstract_name("move");
  fake_manager m(name);
  ASSERT_TRUE(m.bound());
  service_notifier a(name);
  service_notifier b(std::move(a));
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): moved-from is inactive
  EXPECT_FALSE(a.ready());
  EXPECT_TRUE(b.status("moved"));
  service_notifier c;
  c = std::move(b);
  EXPECT_FALSE(b.active());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(c.status("assigned"));
  EXPECT_EQ(m.receive(), "STATUS=moved");
  EXPECT_EQ(m.receive(), "STATUS=assigned");
  EXPECT_EQ(m.receive(50ms), std::nullopt);
}

TEST(SdNotifyWatchdog, ReadsInterval_WhenPidUnsetOrOurs) {
  using std::chrono::microseconds;
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment("30000000", std::nullopt, 42),
            microseconds(30000000));
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment("1", "42", 42), microseconds(1));
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment("9223372036854775807", "42", 42),
            microseconds(9223372036854775807LL));
}

TEST(SdNotifyWatchdog, IsNullopt_ForAnotherPidOrNoInterval) {
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment("30000000", "43", 42), std::nullopt);
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment(std::nullopt, "42", 42), std::nullopt);
  EXPECT_EQ(service_notifier::watchdog_interval_from_environment(std::nullopt, std::nullopt, 42),
            std::nullopt);
}

TEST(SdNotifyWatchdog, IsNullopt_WhenMalformed) {
  for (const char* usec : {"", "0", "-5", "+5", " 5", "5 ", "5s", "0x10", "abc",
                           "9223372036854775808", "99999999999999999999999"}) {
    EXPECT_EQ(service_notifier::watchdog_interval_from_environment(usec, "42", 42), std::nullopt)
        << "WATCHDOG_USEC='" << usec << "'";
  }
  for (const char* pid : {"", "0", "-42", "+42", "42 ", "4x2", "18446744073709551658"}) {
    EXPECT_EQ(service_notifier::watchdog_interval_from_environment("1000", pid, 42), std::nullopt)
        << "WATCHDOG_PID='" << pid << "'";
  }
}

TEST(SdNotifyWatchdog, ReadsTheRealEnvironment) {
  const std::string self = std::to_string(::getpid());
  env_guard usec("WATCHDOG_USEC", "15000000");
  {
    env_guard pid("WATCHDOG_PID", self.c_str());
    EXPECT_EQ(service_notifier::watchdog_interval_from_environment(), std::chrono::seconds(15));
  }
  {
    env_guard pid("WATCHDOG_PID", "1");
    EXPECT_EQ(service_notifier::watchdog_interval_from_environment(), std::nullopt);
  }
  {
    env_guard pid("WATCHDOG_PID", nullptr);
    EXPECT_EQ(service_notifier::watchdog_interval_from_environment(), std::chrono::seconds(15));
  }
}

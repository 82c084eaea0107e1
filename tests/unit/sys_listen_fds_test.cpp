// SPDX-License-Identifier: MIT
#include "sys/listen_fds.hpp"  // first: the header must compile on its own

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>  // setenv, getenv (POSIX)
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using kmr::sys::parse_listen_env;
using kmr::sys::take_listen_fds;

namespace {

constexpr pid_t self = 4242;
using opt = std::optional<std::string_view>;

std::string error_of(opt pid, opt fds, opt names) {
  const auto r = parse_listen_env(pid, fds, names, self);
  EXPECT_FALSE(r) << "accepted LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES";
  return r ? std::string() : r.error();
}

std::size_t count_of(opt pid, opt fds, opt names) {
  const auto r = parse_listen_env(pid, fds, names, self);
  EXPECT_TRUE(r) << r.error();
  return r ? r->size() : 9999;
}

// Runs `body` in a forked child, where it may rearrange fds 3.. and the environment
// freely; returns what the child reported: "" if the body returned "", else its message.
std::string in_child(std::string (*body)()) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return "pipe2 failed";
  // Far from 3, 4, 5, which the child fills with the sockets under test.
  const int reader = ::fcntl(p[0], F_DUPFD_CLOEXEC, 100);
  const int writer = ::fcntl(p[1], F_DUPFD_CLOEXEC, 100);
  ::close(p[0]);
  ::close(p[1]);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(reader);
    const std::string message = body();
    [[maybe_unused]] const ssize_t n = ::write(writer, message.data(), message.size());
    ::_exit(message.empty() ? 0 : 1);
  }
  ::close(writer);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(reader, buf, sizeof(buf))) > 0;) message.append(buf, static_cast<std::size_t>(n));
  ::close(reader);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return "fork or waitpid failed";
  if (!WIFEXITED(status)) return "the child died of signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0 && message.empty()) return "the child failed without a word";
  return message;
}

// Moves `fd` to 50 or above, out of the way of the fds under test (a new socket may well
// be fd 3 itself, and a later dup2 onto 3 would close it).
int lift(int fd) {
  if (fd < 0) return -1;
  const int high = ::fcntl(fd, F_DUPFD, 50);
  ::close(fd);
  return high;
}

// Moves a lifted fd to exactly `target`, as the manager hands it over (no FD_CLOEXEC).
bool put(int high, int target) {
  if (high < 0 || ::dup2(high, target) != target) return false;
  ::close(high);
  return true;
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

int bound_inet(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  if (type == SOCK_STREAM && ::listen(fd, 16) != 0) return -1;
  return fd;
}

bool cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

bool variables_gone() {
  return ::getenv("LISTEN_PID") == nullptr && ::getenv("LISTEN_FDS") == nullptr &&
         ::getenv("LISTEN_FDNAMES") == nullptr;
}

void set_listen_env(const char* count, const char* names) {
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", count, 1);
  if (names != nullptr) ::setenv("LISTEN_FDNAMES", names, 1);
}

// fd 3: a listening TCP socket, 4: a UDP socket, 5: one end of an AF_UNIX stream pair.
std::string three_real_sockets() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return "socketpair failed";
  const int unix_end = lift(pair[0]);
  [[maybe_unused]] const int other_end = lift(pair[1]);  // kept open: the pair stays connected
  const int tcp = lift(bound_inet(SOCK_STREAM));
  const int udp = lift(bound_inet(SOCK_DGRAM));
  const std::uint16_t tcp_port = port_of(tcp);
  if (!put(tcp, 3) || !put(udp, 4) || !put(unix_end, 5)) return "setup failed";
  if (cloexec(3) || cloexec(4) || cloexec(5)) return "dup2 left FD_CLOEXEC set";
  set_listen_env("3", "web:dns:");
  const auto r = take_listen_fds();
  if (!r) return "take_listen_fds failed: " + r.error();
  if (!variables_gone()) return "LISTEN_* still set afterwards";
  if (r->size() != 3) return "got " + std::to_string(r->size()) + " sockets, want 3";
  const auto& s = *r;
  if (s[0].fd != 3 || s[0].family != AF_INET || s[0].type != SOCK_STREAM || !s[0].listening ||
      s[0].name != "web")
    return "fd 3 misreported";
  if (port_of(3) != tcp_port) return "fd 3 is not the listener";
  if (s[1].fd != 4 || s[1].family != AF_INET || s[1].type != SOCK_DGRAM || s[1].listening || s[1].name != "dns")
    return "fd 4 misreported";
  if (s[2].fd != 5 || s[2].family != AF_UNIX || s[2].type != SOCK_STREAM || s[2].listening || !s[2].name.empty())
    return "fd 5 misreported";
  if (!cloexec(3) || !cloexec(4) || !cloexec(5)) return "FD_CLOEXEC not set";
  const auto again = take_listen_fds();
  if (!again || !again->empty()) return "a second call found sockets again";
  return "";
}

std::string dev_null_at_3() {
  if (!put(lift(::open("/dev/null", O_RDONLY)), 3)) return "setup failed";
  set_listen_env("1", nullptr);
  const auto r = take_listen_fds();
  if (r) return "accepted /dev/null as a socket";
  if (r.error() != "LISTEN_FDS: fd 3 is not a socket") return "wrong error: " + r.error();
  if (!variables_gone()) return "LISTEN_* still set after the error";
  return "";
}

std::string nothing_at_4() {
  if (!put(lift(bound_inet(SOCK_STREAM)), 3)) return "setup failed";
  ::close(4);
  set_listen_env("2", nullptr);
  const auto r = take_listen_fds();
  if (r) return "accepted a closed fd 4";
  if (r.error() != "LISTEN_FDS: fd 4 is not open") return "wrong error: " + r.error();
  return "";
}

std::string meant_for_our_parent() {
  if (!put(lift(bound_inet(SOCK_STREAM)), 3)) return "setup failed";
  ::setenv("LISTEN_PID", std::to_string(::getppid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_FDNAMES", "web", 1);
  const auto r = take_listen_fds();
  if (!r) return "error for another process's variables: " + r.error();
  if (!r->empty()) return "took fds meant for another process";
  if (!variables_gone()) return "LISTEN_* still set";
  if (cloexec(3)) return "touched fd 3";
  return "";
}

}  // namespace

TEST(ListenEnv, IsEmpty_WhenNothingWasPassed) {
  EXPECT_EQ(count_of(std::nullopt, std::nullopt, std::nullopt), 0u);
  EXPECT_EQ(count_of("4242", std::nullopt, "web"), 0u);
  EXPECT_EQ(count_of(std::nullopt, "2", std::nullopt), 0u);  // as sd_listen_fds(3)
  EXPECT_EQ(count_of("4242", "0", std::nullopt), 0u);
  EXPECT_EQ(count_of("4242", "0", "a:b"), 0u);
}

TEST(ListenEnv, IsEmpty_WhenMeantForAnotherProcess) {
  EXPECT_EQ(count_of("4243", "2", std::nullopt), 0u);
  EXPECT_EQ(count_of("1", "garbage", "x"), 0u);  // not ours, so not our error either
}

TEST(ListenEnv, ListsFdsFromThree_WithNames) {
  const auto r = parse_listen_env("4242", "3", "web:dns:", self);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].fd, 3);
  EXPECT_EQ((*r)[0].name, "web");
  EXPECT_EQ((*r)[1].fd, 4);
  EXPECT_EQ((*r)[1].name, "dns");
  EXPECT_EQ((*r)[2].fd, 5);
  EXPECT_EQ((*r)[2].name, "");
  const auto unnamed = parse_listen_env("4242", "2", std::nullopt, self);
  ASSERT_TRUE(unnamed) << unnamed.error();
  ASSERT_EQ(unnamed->size(), 2u);
  EXPECT_EQ((*unnamed)[1].fd, 4);
  EXPECT_EQ((*unnamed)[1].name, "");
  // Empty means unnamed, as in sd_listen_fds_with_names(3), whatever the count.
  const auto empty = parse_listen_env("4242", "2", "", self);
  ASSERT_TRUE(empty) << empty.error();
  ASSERT_EQ(empty->size(), 2u);
  EXPECT_EQ((*empty)[0].name, "");
  EXPECT_EQ((*empty)[1].name, "");
  // ":" is two names, both empty: not a mismatch for two fds, one for three.
  EXPECT_EQ(count_of("4242", "2", ":"), 2u);
  EXPECT_EQ(error_of("4242", "3", ":"), "LISTEN_FDNAMES: 2 names for 3 descriptors in LISTEN_FDS");
}

TEST(ListenEnv, AcceptsTheLimit_AndRejectsMore) {
  const auto r = parse_listen_env("4242", "1000", std::nullopt, self);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 1000u);
  EXPECT_EQ(r->back().fd, 1002);
  EXPECT_EQ(error_of("4242", "1001", std::nullopt), "LISTEN_FDS: 1001 descriptors is more than 1000");
  EXPECT_EQ(error_of("4242", "4294967299", std::nullopt),
            "LISTEN_FDS: 4294967299 descriptors is more than 1000");
}

TEST(ListenEnv, RejectsMalformedCounts) {
  for (const char* bad : {"", "abc", "-1", "+1", " 1", "1 ", "0x2", "2.0", "99999999999999999999999"}) {
    EXPECT_EQ(error_of("4242", bad, std::nullopt),
              "LISTEN_FDS: '" + std::string(bad) + "' is not a number of descriptors");
  }
}

TEST(ListenEnv, RejectsMalformedPid) {
  EXPECT_EQ(error_of("", "1", std::nullopt), "LISTEN_PID: '' is not a process id");
  EXPECT_EQ(error_of("0", "1", std::nullopt), "LISTEN_PID: '0' is not a process id");
  EXPECT_EQ(error_of("-4242", "1", std::nullopt), "LISTEN_PID: '-4242' is not a process id");
  EXPECT_EQ(error_of("4242x", "1", std::nullopt), "LISTEN_PID: '4242x' is not a process id");
  // 2^64 + 4242 must not wrap around to our pid.
  EXPECT_EQ(error_of("18446744073709555858", "1", std::nullopt),
            "LISTEN_PID: '18446744073709555858' is not a process id");
}

TEST(ListenEnv, RejectsNameCountMismatch) {
  EXPECT_EQ(error_of("4242", "2", "web"), "LISTEN_FDNAMES: 1 name for 2 descriptors in LISTEN_FDS");
  EXPECT_EQ(error_of("4242", "2", "a:b:c"), "LISTEN_FDNAMES: 3 names for 2 descriptors in LISTEN_FDS");
}

TEST(ListenEnv, QuotesHostileValues_OnOneShortLine) {
  EXPECT_EQ(error_of("4242", std::string_view("1\n2\x1b", 4), std::nullopt),
            "LISTEN_FDS: '1?2?' is not a number of descriptors");
  const std::string huge(100000, '7');
  EXPECT_EQ(error_of(huge, "1", std::nullopt), "LISTEN_PID: '" + huge.substr(0, 40) + "'... is not a process id");
}

TEST(TakeListenFds, ReportsRealSockets_AndUnsetsTheVariables) {
  EXPECT_EQ(in_child(three_real_sockets), "");
}

TEST(TakeListenFds, RejectsAnFdThatIsNotASocket) { EXPECT_EQ(in_child(dev_null_at_3), ""); }

TEST(TakeListenFds, RejectsAClosedFd) { EXPECT_EQ(in_child(nothing_at_4), ""); }

TEST(TakeListenFds, IgnoresVariablesMeantForAnotherProcess) { EXPECT_EQ(in_child(meant_for_our_parent), ""); }

TEST(TakeListenFds, IsEmpty_WithoutVariables) {
  // Here in the test process itself: nothing set, so nothing is touched.
  ASSERT_EQ(::getenv("LISTEN_FDS"), nullptr) << "the test runner passed LISTEN_FDS";
  const auto r = take_listen_fds();
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->empty());
}

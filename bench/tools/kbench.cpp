// SPDX-License-Identifier: MIT
// kbench: the load generators and helpers of the benchmark suite (bench/run.sh), in one
// small program with no dependency beyond libc, so that the measuring side costs little
// and behaves the same for every setup. Every mode is bounded in time; the servers also
// end by themselves after --max-seconds.
//
//   kbench echo      --port-file F [--max-seconds S]
//       TCP echo server (epoll, one thread) and a UDP echo on the same port number.
//       Writes "<port>\n" to F once it listens.
//   kbench rtt       --to H:P [--count N] [--warmup W] [--size B] [--max-seconds S]
//       ping-pong of B bytes on one connection; prints JSON with p50/p99 in microseconds.
//   kbench connrate  --to H:P [--clients C] [--seconds S] [--size B]
//       C concurrent clients, each doing connect, one B-byte echo, close, again and again
//       for S seconds; prints JSON with the completed connections per second.
//   kbench hold      --to H:P [--count N] [--concurrency C] [--size B] [--max-seconds S]
//       opens N connections, each does one B-byte echo and stays open; prints one JSON
//       line once they are all held, then holds them until stdin ends (or S seconds).
//   kbench delay     --port-file F --to H:P [--delay-ms D] [--max-seconds S]
//       a TCP relay that adds D ms in each direction, the TCP handshake included (a new
//       connection's first bytes reach the far side no sooner than 3 D after connect).
//   kbench ttfb      --to H:P [--count N] [--size B] [--gap-ms G]
//       N new connections one after another; for each, the time from connect() to the
//       first byte of the echo of B bytes. Prints JSON with every time in ms.
//   kbench udp       --to H:P [--seconds S] [--size B] [--window W]
//       UDP datagrams of B bytes against an echo, at most W outstanding; prints JSON with
//       datagrams per second echoed, loss and p50 round trip.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using i64 = std::int64_t;

i64 now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<i64>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "kbench: %s: %s\n", what.c_str(), errno ? std::strerror(errno) : "error");
  std::exit(1);
}

struct args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  i64 num(const std::string& k, i64 def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::strtoll(it->second.c_str(), nullptr, 10);
  }
};

args parse(int argc, char** argv) {
  args a;
  for (int i = 2; i < argc; ++i) {
    std::string_view k = argv[i];
    if (k.substr(0, 2) != "--" || i + 1 >= argc) {
      errno = 0;
      die("bad argument '" + std::string(k) + "'");
    }
    a.kv[std::string(k.substr(2))] = argv[++i];
  }
  return a;
}

sockaddr_in addr_of(const std::string& hp) {
  const auto colon = hp.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  errno = 0;
  if (colon == std::string::npos) die("address '" + hp + "' is not host:port");
  if (inet_pton(AF_INET, hp.substr(0, colon).c_str(), &sa.sin_addr) != 1)
    die("address '" + hp + "' is not an IPv4 literal");
  sa.sin_port = htons(static_cast<std::uint16_t>(std::atoi(hp.c_str() + colon + 1)));
  return sa;
}

void raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int listen_tcp(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
  if (listen(fd, 4096) != 0) die("listen");
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) die("open " + tmp);
  std::fprintf(f, "%u\n", port);
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) die("rename " + path);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// Blocking helpers with a deadline, for the sequential clients.
int connect_blocking(const sockaddr_in& sa, int timeout_s) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  nodelay(fd);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_exact(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// ---------------------------------------------------------------- echo
struct echo_conn {
  int fd;
  std::string pending;  // bytes read but not yet written back
};

int run_echo(const args& a) {
  raise_nofile();
  const i64 deadline = now_ns() + a.num("max-seconds", 7200) * 1'000'000'000;
  const int lfd = listen_tcp(static_cast<std::uint16_t>(a.num("port", 0)));
  const std::uint16_t port = port_of(lfd);
  int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in us{};
  us.sin_family = AF_INET;
  us.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  us.sin_port = htons(port);
  if (bind(ufd, reinterpret_cast<sockaddr*>(&us), sizeof us) != 0) die("bind udp");
  int rcvbuf = 4 << 20;
  setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = ufd;
  epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
  write_port_file(a.get("port-file"), port);

  std::unordered_map<int, std::unique_ptr<echo_conn>> conns;
  std::vector<char> buf(256 * 1024);
  std::vector<epoll_event> events(256);
  auto drop = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  while (now_ns() < deadline) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          nodelay(c);
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          conns[c] = std::make_unique<echo_conn>(echo_conn{c, {}});
        }
      } else if (fd == ufd) {
        for (int k = 0; k < 64; ++k) {
          sockaddr_in from{};
          socklen_t fl = sizeof from;
          const ssize_t r = recvfrom(ufd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
          if (r < 0) break;
          sendto(ufd, buf.data(), static_cast<std::size_t>(r), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
      } else {
        auto it = conns.find(fd);
        if (it == conns.end()) continue;
        echo_conn& c = *it->second;
        if (!c.pending.empty()) {  // waiting for room to write: EPOLLOUT
          const ssize_t w = write(fd, c.pending.data(), c.pending.size());
          if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
          if (w > 0) c.pending.erase(0, static_cast<std::size_t>(w));
          if (c.pending.empty()) {
            epoll_event cev{};
            cev.events = EPOLLIN | EPOLLRDHUP;
            cev.data.fd = fd;
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
          }
          continue;
        }
        const ssize_t r = read(fd, buf.data(), buf.size());
        if (r == 0 || (r < 0 && errno != EAGAIN)) { drop(fd); continue; }
        if (r < 0) continue;
        const ssize_t w = write(fd, buf.data(), static_cast<std::size_t>(r));
        if (w < 0 && errno != EAGAIN) { drop(fd); continue; }
        const std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
        if (done < static_cast<std::size_t>(r)) {
          c.pending.assign(buf.data() + done, static_cast<std::size_t>(r) - done);
          epoll_event cev{};
          cev.events = EPOLLOUT;
          cev.data.fd = fd;
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        }
      }
    }
  }
  return 0;
}

// ---------------------------------------------------------------- rtt
int run_rtt(const args& a) {
  const auto sa = addr_of(a.get("to"));
  const i64 count = a.num("count", 2000), warmup = a.num("warmup", 100);
  const auto size = static_cast<std::size_t>(a.num("size", 64));
  const i64 deadline = now_ns() + a.num("max-seconds", 10) * 1'000'000'000;
  const int fd = connect_blocking(sa, 5);
  if (fd < 0) die("connect " + a.get("to"));
  std::string out(size, 'p'), in(size, '\0');
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  for (i64 i = 0; i < warmup + count && now_ns() < deadline; ++i) {
    const i64 t0 = now_ns();
    if (!write_all(fd, out.data(), size) || !read_exact(fd, in.data(), size)) {
      errno = 0;
      die("rtt: the connection ended after " + std::to_string(i) + " ping-pongs");
    }
    if (i >= warmup) us.push_back(static_cast<double>(now_ns() - t0) / 1000.0);
  }
  close(fd);
  std::printf("{\"n\": %zu, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, \"min_us\": %.2f, \"max_us\": %.2f}\n",
              us.size(), percentile(us, 0.5), percentile(us, 0.9), percentile(us, 0.99),
              us.empty() ? 0 : *std::min_element(us.begin(), us.end()),
              us.empty() ? 0 : *std::max_element(us.begin(), us.end()));
  return us.empty() ? 1 : 0;
}

// ---------------------------------------------------------------- connrate / hold
// One client connection in the epoll state machine: connect, send, read the echo.
struct client_slot {
  int fd = -1;
  enum class st { idle, connecting, reading, held } state = st::idle;
  std::size_t got = 0;
  i64 started = 0;
};

class echo_clients {
 public:
  echo_clients(sockaddr_in to, std::size_t size) : to_(to), msg_(size, 'c'), ep_(epoll_create1(EPOLL_CLOEXEC)) {}

  // Starts a connection in `s`; false if the socket could not even be created.
  bool start(client_slot& s, std::size_t index) {
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) return false;
    nodelay(s.fd);
    s.got = 0;
    s.started = now_ns();
    const int r = connect(s.fd, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
    if (r != 0 && errno != EINPROGRESS) {
      close(s.fd);
      s.fd = -1;
      return false;
    }
    s.state = client_slot::st::connecting;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = index;
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
    return true;
  }

  // Advances `s` after an event; returns +1 when the echo came back whole, -1 on an
  // error (the slot is closed), 0 otherwise.
  int step(client_slot& s, std::size_t index) {
    if (s.state == client_slot::st::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || write(s.fd, msg_.data(), msg_.size()) != static_cast<ssize_t>(msg_.size())) return fail(s);
      s.state = client_slot::st::reading;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = index;
      epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
      return 0;
    }
    if (s.state == client_slot::st::reading) {
      char buf[4096];
      const ssize_t r = read(s.fd, buf, sizeof buf);
      if (r < 0 && errno == EAGAIN) return 0;
      if (r <= 0) return fail(s);
      s.got += static_cast<std::size_t>(r);
      if (s.got >= msg_.size()) {
        s.state = client_slot::st::held;
        epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
        return 1;
      }
      return 0;
    }
    return 0;
  }

  int fail(client_slot& s) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
    close(s.fd);
    s.fd = -1;
    s.state = client_slot::st::idle;
    return -1;
  }

  void finish(client_slot& s) {
    if (s.fd >= 0) {
      if (s.state != client_slot::st::held) epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd, nullptr);
      close(s.fd);
    }
    s.fd = -1;
    s.state = client_slot::st::idle;
  }

  int wait(std::vector<epoll_event>& events, int timeout_ms) {
    return epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout_ms);
  }

 private:
  sockaddr_in to_;
  std::string msg_;
  int ep_;
};

int run_connrate(const args& a) {
  raise_nofile();
  const auto sa = addr_of(a.get("to"));
  const auto clients = static_cast<std::size_t>(a.num("clients", 32));
  const double seconds = static_cast<double>(a.num("seconds-ms", a.num("seconds", 2) * 1000)) / 1000.0;
  const i64 per_conn_timeout = 5'000'000'000;
  echo_clients ec(sa, static_cast<std::size_t>(a.num("size", 64)));
  std::vector<client_slot> slots(clients);
  std::vector<epoll_event> events(clients);
  std::vector<double> lat_us;
  std::size_t done = 0, errors = 0;
  const i64 t0 = now_ns(), end = t0 + static_cast<i64>(seconds * 1e9);
  for (std::size_t i = 0; i < clients; ++i)
    if (!ec.start(slots[i], i)) ++errors;
  while (now_ns() < end) {
    const int n = ec.wait(events, 10);
    const i64 t = now_ns();
    for (int k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(events[k].data.u64);
      const int r = ec.step(slots[i], i);
      if (r == 0) continue;
      if (r > 0 && t < end) {
        ++done;
        lat_us.push_back(static_cast<double>(t - slots[i].started) / 1000.0);
      }
      if (r < 0) ++errors;
      ec.finish(slots[i]);
      if (t < end && !ec.start(slots[i], i)) ++errors;
    }
    for (std::size_t i = 0; i < clients; ++i) {  // stuck connections and failed starts
      if (slots[i].fd >= 0 && t - slots[i].started > per_conn_timeout) {
        ++errors;
        ec.finish(slots[i]);
      }
      if (slots[i].fd < 0 && t < end && !ec.start(slots[i], i)) {
        ++errors;
        usleep(1000);  // no socket to be had: do not spin
      }
    }
  }
  for (auto& s : slots) ec.finish(s);
  std::printf("{\"conns\": %zu, \"errors\": %zu, \"seconds\": %.3f, \"rate\": %.1f, \"lat_p50_us\": %.1f, \"lat_p99_us\": %.1f}\n",
              done, errors, seconds, static_cast<double>(done) / seconds, percentile(lat_us, 0.5),
              percentile(lat_us, 0.99));
  return 0;
}

int run_hold(const args& a) {
  raise_nofile();
  const auto sa = addr_of(a.get("to"));
  const auto count = static_cast<std::size_t>(a.num("count", 2000));
  const auto conc = static_cast<std::size_t>(a.num("concurrency", 64));
  const i64 t0 = now_ns(), deadline = t0 + a.num("max-seconds", 120) * 1'000'000'000;
  const i64 open_deadline = t0 + a.num("open-seconds", 60) * 1'000'000'000;
  echo_clients ec(sa, static_cast<std::size_t>(a.num("size", 64)));
  std::vector<client_slot> slots(count);
  std::vector<epoll_event> events(256);
  std::size_t next = 0, inflight = 0, held = 0, errors = 0;
  while (held < count && now_ns() < open_deadline && errors < count) {
    while (inflight < conc && next < count) {
      if (ec.start(slots[next], next)) ++inflight; else ++errors;
      ++next;
    }
    const int n = ec.wait(events, 50);
    for (int k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(events[k].data.u64);
      const int r = ec.step(slots[i], i);
      if (r > 0) { ++held; --inflight; }
      if (r < 0) {  // try this one again
        ++errors;
        --inflight;
        if (ec.start(slots[i], i)) ++inflight;
      }
    }
    if (next >= count && inflight == 0) break;
  }
  std::printf("{\"held\": %zu, \"wanted\": %zu, \"errors\": %zu, \"open_seconds\": %.3f}\n", held, count, errors,
              static_cast<double>(now_ns() - t0) / 1e9);
  std::fflush(stdout);
  // Hold until stdin ends or a line arrives, or the deadline passes.
  pollfd p{0, POLLIN, 0};
  while (now_ns() < deadline) {
    if (poll(&p, 1, 200) > 0) break;
  }
  for (auto& s : slots) ec.finish(s);
  return 0;
}

// ---------------------------------------------------------------- delay relay
struct chunk {
  i64 due;
  std::string bytes;  // empty: end of stream
};

struct relay_side {
  int fd = -1;
  std::deque<chunk> out;  // to be written to this fd when due
  bool read_eof = false;
  bool write_shut = false;
};

struct relay_conn {
  relay_side down;  // the accepted client side
  relay_side up;    // the connection to the far side
  i64 accepted = 0;
  bool up_started = false;
};

class delay_relay {
 public:
  delay_relay(sockaddr_in to, i64 delay_ns) : to_(to), delay_(delay_ns), ep_(epoll_create1(EPOLL_CLOEXEC)) {}

  int run(int lfd, i64 deadline) {
    add(lfd, EPOLLIN, 0);
    std::vector<epoll_event> events(256);
    std::vector<char> buf(64 * 1024);
    while (now_ns() < deadline) {
      const i64 next = next_due();
      int timeout = 200;
      if (next > 0) timeout = static_cast<int>(std::clamp<i64>((next - now_ns() + 999'999) / 1'000'000, 0, 200));
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), timeout);
      for (int k = 0; k < n; ++k) {
        const std::uint64_t tag = events[k].data.u64;
        if (tag == 0) {
          accept_all(lfd);
          continue;
        }
        const auto id = tag >> 1;
        auto it = conns_.find(id);
        if (it == conns_.end()) continue;
        relay_conn& c = *it->second;
        const bool from_up = tag & 1;
        relay_side& src = from_up ? c.up : c.down;
        relay_side& dst = from_up ? c.down : c.up;
        if (src.read_eof) continue;
        const ssize_t r = read(src.fd, buf.data(), buf.size());
        if (r < 0 && errno == EAGAIN) continue;
        const i64 t = now_ns();
        // Server to client: D. Client to server: D, but no sooner than the TCP
        // handshake would have let the client send (accept + 2 D).
        const i64 due = from_up ? t + delay_ : std::max(t, c.accepted + 2 * delay_) + delay_;
        if (r <= 0) {
          src.read_eof = true;
          epoll_ctl(ep_, EPOLL_CTL_DEL, src.fd, nullptr);
          dst.out.push_back({due, {}});
        } else {
          dst.out.push_back({due, std::string(buf.data(), static_cast<std::size_t>(r))});
        }
      }
      flush_due();
    }
    return 0;
  }

 private:
  void add(int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }

  void accept_all(int lfd) {
    for (;;) {
      const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) return;
      nodelay(c);
      auto rc = std::make_unique<relay_conn>();
      rc->down.fd = c;
      rc->accepted = now_ns();
      const std::uint64_t id = ++last_id_;
      add(c, EPOLLIN | EPOLLRDHUP, id << 1);
      conns_[id] = std::move(rc);
    }
  }

  i64 next_due() const {
    i64 best = 0;
    for (const auto& [id, c] : conns_) {
      if (!c->up_started) best = best == 0 ? c->accepted + delay_ : std::min(best, c->accepted + delay_);
      for (const relay_side* s : {&c->down, &c->up})
        if (!s->out.empty()) best = best == 0 ? s->out.front().due : std::min(best, s->out.front().due);
    }
    return best;
  }

  void flush_due() {
    const i64 t = now_ns();
    std::vector<std::uint64_t> dead;
    for (auto& [id, cp] : conns_) {
      relay_conn& c = *cp;
      if (!c.up_started && t >= c.accepted + delay_) {  // the SYN reaches the far side
        c.up_started = true;
        c.up.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // blocking: loopback, instant
        nodelay(c.up.fd);
        if (connect(c.up.fd, reinterpret_cast<const sockaddr*>(&to_), sizeof to_) != 0) {
          dead.push_back(id);
          continue;
        }
        fcntl(c.up.fd, F_SETFL, fcntl(c.up.fd, F_GETFL) | O_NONBLOCK);
        add(c.up.fd, EPOLLIN | EPOLLRDHUP, (id << 1) | 1);
      }
      bool broken = false;
      for (relay_side* s : {&c.down, &c.up}) {
        if (s->fd < 0) continue;  // the far side is not connected yet
        while (!s->out.empty() && s->out.front().due <= t) {
          chunk& ch = s->out.front();
          if (ch.bytes.empty()) {
            shutdown(s->fd, SHUT_WR);
            s->write_shut = true;
            s->out.pop_front();
            continue;
          }
          const ssize_t w = write(s->fd, ch.bytes.data(), ch.bytes.size());
          if (w < 0 && errno == EAGAIN) break;  // retried on the next pass (tiny loads only)
          if (w <= 0) { broken = true; break; }
          ch.bytes.erase(0, static_cast<std::size_t>(w));
          if (ch.bytes.empty()) s->out.pop_front();
        }
      }
      const bool done = c.down.read_eof && c.up.read_eof && c.down.out.empty() && c.up.out.empty();
      if (broken || done) dead.push_back(id);
    }
    for (auto id : dead) {
      auto& c = *conns_[id];
      for (relay_side* s : {&c.down, &c.up})
        if (s->fd >= 0) close(s->fd);  // close() also takes it out of the epoll set
      conns_.erase(id);
    }
  }

  sockaddr_in to_;
  i64 delay_;
  int ep_;
  std::uint64_t last_id_ = 0;
  std::map<std::uint64_t, std::unique_ptr<relay_conn>> conns_;
};

int run_delay(const args& a) {
  raise_nofile();
  const auto to = addr_of(a.get("to"));
  const int lfd = listen_tcp(static_cast<std::uint16_t>(a.num("port", 0)));
  write_port_file(a.get("port-file"), port_of(lfd));
  delay_relay relay(to, a.num("delay-ms", 20) * 1'000'000);
  return relay.run(lfd, now_ns() + a.num("max-seconds", 3600) * 1'000'000'000);
}

// ---------------------------------------------------------------- ttfb
int run_ttfb(const args& a) {
  const auto sa = addr_of(a.get("to"));
  const i64 count = a.num("count", 5), gap_ms = a.num("gap-ms", 100);
  const auto size = static_cast<std::size_t>(a.num("size", 64));
  std::string out(size, 't'), in(size, '\0');
  std::printf("{\"ttfb_ms\": [");
  int failures = 0;
  for (i64 i = 0; i < count; ++i) {
    const i64 t0 = now_ns();
    const int fd = connect_blocking(sa, 5);
    double ms = -1;
    if (fd >= 0) {
      if (write_all(fd, out.data(), size) && read_exact(fd, in.data(), 1)) {
        ms = static_cast<double>(now_ns() - t0) / 1e6;
        read_exact(fd, in.data() + 1, size - 1);
      }
      close(fd);
    }
    if (ms < 0) ++failures;
    std::printf("%s%.3f", i ? ", " : "", ms);
    std::fflush(stdout);
    usleep(static_cast<useconds_t>(gap_ms * 1000));
  }
  std::printf("], \"failures\": %d}\n", failures);
  return 0;
}

// ---------------------------------------------------------------- udp
int run_udp(const args& a) {
  const auto sa = addr_of(a.get("to"));
  const auto size = static_cast<std::size_t>(std::max<i64>(16, a.num("size", 512)));
  const auto window = static_cast<std::uint64_t>(a.num("window", 32));
  const double seconds = static_cast<double>(a.num("seconds-ms", a.num("seconds", 2) * 1000)) / 1000.0;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) die("udp connect");
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  std::vector<char> msg(size, 'u'), in(65536);
  std::uint64_t sent = 0, received = 0, outstanding = 0;
  std::vector<double> rtt_us;
  const i64 t0 = now_ns(), end = t0 + static_cast<i64>(seconds * 1e9);
  i64 last_rx = t0;
  auto send_one = [&] {
    const i64 t = now_ns();
    std::memcpy(msg.data(), &sent, 8);
    std::memcpy(msg.data() + 8, &t, 8);
    if (send(fd, msg.data(), size, 0) == static_cast<ssize_t>(size)) {
      ++sent;
      ++outstanding;
    }
  };
  for (;;) {
    const i64 t = now_ns();
    if (t < end) {
      while (outstanding < window) send_one();
      if (t - last_rx > 100'000'000) {  // nothing came back for 100 ms: count the window as lost
        outstanding = 0;
        last_rx = t;
        continue;
      }
    } else if (outstanding == 0 || t - end > 300'000'000) {
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    const ssize_t r = recv(fd, in.data(), in.size(), MSG_DONTWAIT);
    if (r < 16) continue;
    i64 ts;
    std::memcpy(&ts, in.data() + 8, 8);
    const i64 now = now_ns();
    ++received;
    if (outstanding > 0) --outstanding;
    last_rx = now;
    if (now <= end) rtt_us.push_back(static_cast<double>(now - ts) / 1000.0);
  }
  close(fd);
  const double loss = sent ? 1.0 - static_cast<double>(received) / static_cast<double>(sent) : 1.0;
  std::printf("{\"sent\": %llu, \"received\": %llu, \"loss\": %.5f, \"rate\": %.1f, \"rtt_p50_us\": %.1f}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received), loss,
              static_cast<double>(rtt_us.size()) / seconds, percentile(rtt_us, 0.5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fprintf(stderr, "usage: kbench echo|rtt|connrate|hold|delay|ttfb|udp --key value ...\n");
    return 2;
  }
  const std::string_view mode = argv[1];
  const args a = parse(argc, argv);
  if (mode == "echo") return run_echo(a);
  if (mode == "rtt") return run_rtt(a);
  if (mode == "connrate") return run_connrate(a);
  if (mode == "hold") return run_hold(a);
  if (mode == "delay") return run_delay(a);
  if (mode == "ttfb") return run_ttfb(a);
  if (mode == "udp") return run_udp(a);
  std::fprintf(stderr, "kbench: unknown mode '%s'\n", argv[1]);
  return 2;
}

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark suite's driver (bench/run.sh calls it; docs/benchmarks.md explains it).

Starts each tunnel pair on loopback, runs the same loads through every pair, with the
rounds interleaved (each figure is measured for setup A, B, C, ... in turn, then the
next figure, and each round starts every pair afresh), and writes every sample to a JSON
file that bench/report.py turns into docs/benchmarks.md.

Only processes started here are ever stopped, by PID (with the children they forked,
such as socat's per-connection processes). Every load is bounded in count and time.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
WS_HOST, WS_PATH = "example.com", "/ws"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------ processes
def children_of(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def descendants(pid):
    out = []
    for c in children_of(pid):
        out.append(c)
        out += descendants(c)
    return out


class Proc:
    """A process this suite started; stopped by its PID only (and its own children)."""

    def __init__(self, name, argv, workdir, env=None, stdin=None):
        self.name = name
        self.log_path = Path(workdir) / f"{name}.log"
        self.log_file = open(self.log_path, "wb")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.popen = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT,
                                      stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                      env=full_env, cwd=workdir)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        if self.popen.poll() is None:
            orphans = descendants(self.pid)
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
            for child in orphans:  # forked by this process (socat): ours too
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.log_file.close()

    def tail(self, n=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something listens on 127.0.0.1:<port>, read from /proc/net/tcp, so that
    no probe connection is made (it would go through the tunnel, and a probe without
    iperf3's cookie upsets the iperf3 server's next test)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 3 and parts[1] == want and parts[3] == "0A":
                    return True
    except OSError:
        pass
    return False


def wait_port(proc, port, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not proc.alive():
            return False
        if listening(port):
            time.sleep(0.05)  # a process may listen a moment before it is ready to serve
            return proc.alive()
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} is not accepting on port {port} after {seconds}s:\n{proc.tail()}")


def wait_banner_port(proc, seconds=15):
    """A kaminari banner's `listen: <addr>` line gives the bound port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in proc.log_path.read_text(errors="replace").splitlines():
            if line.startswith("listen: "):
                return int(line.rsplit(":", 1)[1])
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited before it listened:\n{proc.tail()}")
        time.sleep(0.05)
    raise RuntimeError(f"{proc.name} printed no listen: line in {seconds}s:\n{proc.tail()}")


def wait_file(proc, path, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited before it was ready:\n{proc.tail()}")
        time.sleep(0.02)
    raise RuntimeError(f"{proc.name} was not ready in {seconds}s")


def start_on_free_port(name, make_argv_env, workdir):
    """Starts a program that takes its port as an argument; retried on a port collision."""
    for attempt in range(3):
        port = free_port()
        argv, env = make_argv_env(port)
        p = Proc(f"{name}-{attempt}", argv, workdir, env=env)
        if wait_port(p, port):
            return port, p
        p.stop()
    raise RuntimeError(f"{name} did not start (see {workdir})")


# ------------------------------------------------------------------ /proc figures
def proc_stat_ticks(pid, with_children_totals):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17
    t = int(fields[11]) + int(fields[12])
    if with_children_totals:
        t += int(fields[13]) + int(fields[14])
    return t


def cpu_ticks(procs):
    """CPU ticks of the processes and of everything they forked: the live descendants'
    own time plus the reaped children's totals (cutime/cstime), so per-connection
    processes (socat) are counted whether they are still running or not."""
    total = 0
    for p in procs:
        total += proc_stat_ticks(p.pid, True)
        for d in descendants(p.pid):
            total += proc_stat_ticks(d, True)
    return total


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(procs):
    total = 0
    for p in procs:
        for pid in [p.pid] + descendants(p.pid):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
            except OSError:
                pass
    return total


# ------------------------------------------------------------------ setups
class Env:
    def __init__(self, bindir, workdir, pki):
        bindir = Path(bindir).resolve()
        self.kaminaric = str(Path(bindir) / "kaminaric")
        self.kaminaris = str(Path(bindir) / "kaminaris")
        self.kbench = str(Path(bindir) / "bench" / "kbench")
        self.work = Path(workdir)
        self.pki = Path(pki)
        self.v2ray = next((p for p in ("/usr/bin/ss-v2ray-plugin", "/usr/bin/v2ray-plugin") if os.path.exists(p)), None)
        self.counter = 0

    def name(self, base):
        self.counter += 1
        return f"{base}.{self.counter}"


class Setup:
    """A tunnel pair: start_server(target) and start_client(server port) each return
    (listen port, [Proc]). `only` limits the figures it takes part in."""
    key = ""
    label = ""
    group = ""
    only = None  # None: every figure

    def __init__(self, env):
        self.env = env

    def start_server(self, target):
        raise NotImplementedError

    def start_client(self, server_port):
        raise NotImplementedError

    def start_pair(self, target):
        sport, sprocs = self.start_server(target)
        cport, cprocs = self.start_client(sport)
        return cport, sport, cprocs, sprocs

    def takes(self, figure):
        return self.only is None or figure in self.only


class Direct(Setup):
    key, label, group = "direct", "direct (no tunnel)", "ceiling"

    def start_pair(self, target):
        return target, target, [], []

    def start_client(self, server_port):
        return server_port, []


class Kaminari(Setup):
    def __init__(self, env, key, label, group, server_opts, client_opts, only=None):
        super().__init__(env)
        self.key, self.label, self.group = key, label, group
        self.server_opts, self.client_opts, self.only = server_opts, client_opts, only

    def _start(self, binary, base, target, opts):
        p = Proc(self.env.name(f"{self.key}-{base}"), [binary, "127.0.0.1:0", f"127.0.0.1:{target}", opts],
                 self.env.work)
        return wait_banner_port(p), [p]

    def start_server(self, target):
        return self._start(self.env.kaminaris, "server", target, self.server_opts)

    def start_client(self, server_port):
        return self._start(self.env.kaminaric, "client", server_port, self.client_opts)


class Haproxy(Setup):
    def __init__(self, env, splice):
        super().__init__(env)
        self.splice = splice
        self.key = "haproxy-splice" if splice else "haproxy"
        self.label = "haproxy + splice-auto" if splice else "haproxy"
        self.group = "plain"

    def _start(self, base, target):
        def make(port):
            cfg = self.env.work / f"{self.env.name(self.key + '-' + base)}.cfg"
            cfg.write_text(f"""global
  maxconn 6000
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
{"  option splice-auto" if self.splice else ""}
frontend f
  bind 127.0.0.1:{port}
  default_backend b
backend b
  server s1 127.0.0.1:{target}
""")
            return ["haproxy", "-db", "-f", str(cfg)], None
        port, p = start_on_free_port(self.env.name(f"{self.key}-{base}"), make, self.env.work)
        return port, [p]

    def start_server(self, target):
        return self._start("server", target)

    def start_client(self, server_port):
        return self._start("client", server_port)


class Socat(Setup):
    key, label, group = "socat", "socat", "plain"

    def _start(self, base, target):
        def make(port):
            return ["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=4096",
                    f"TCP:127.0.0.1:{target}"], None
        port, p = start_on_free_port(self.env.name(f"socat-{base}"), make, self.env.work)
        return port, [p]

    def start_server(self, target):
        return self._start("server", target)

    def start_client(self, server_port):
        return self._start("client", server_port)


class Stunnel(Setup):
    def __init__(self, env, aes128):
        super().__init__(env)
        self.aes128 = aes128
        self.key = "stunnel-aes128" if aes128 else "stunnel"
        self.label = "stunnel TLS 1.3 AES-128-GCM" if aes128 else "stunnel (default)"
        self.group = "tls"

    def _start(self, base, target, client):
        pki = self.env.pki

        def make(port):
            name = self.env.name(f"{self.key}-{base}")
            lines = ["foreground = yes", "pid =", "debug = 3", "syslog = no"]
            if client:
                lines += ["client = yes"]
            lines += [f"[{base}]", f"accept = 127.0.0.1:{port}", f"connect = 127.0.0.1:{target}"]
            if client:
                lines += [f"CAfile = {pki}/ca.crt", "verifyChain = yes", f"checkHost = {WS_HOST}", f"sni = {WS_HOST}"]
            else:
                lines += [f"cert = {pki}/leaf-chain.pem", f"key = {pki}/leaf.key"]
            if self.aes128:
                lines += ["sslVersionMin = TLSv1.3", "ciphersuites = TLS_AES_128_GCM_SHA256"]
            cfg = self.env.work / f"{name}.conf"
            cfg.write_text("\n".join(lines) + "\n")
            return ["stunnel", str(cfg)], None
        port, p = start_on_free_port(self.env.name(f"{self.key}-{base}"), make, self.env.work)
        return port, [p]

    def start_server(self, target):
        return self._start("server", target, False)

    def start_client(self, server_port):
        return self._start("client", server_port, True)


class V2ray(Setup):
    def __init__(self, env, tls):
        super().__init__(env)
        self.tls = tls
        self.key = "v2ray-wss" if tls else "v2ray-ws"
        self.label = "v2ray-plugin wss (mux=0)" if tls else "v2ray-plugin ws (mux=0)"
        self.group = "wss" if tls else "ws"

    def _start(self, base, env_of):
        def make(port):
            return [self.env.v2ray], env_of(port)
        port, p = start_on_free_port(self.env.name(f"{self.key}-{base}"), make, self.env.work)
        return port, [p]

    def start_server(self, target):
        pki = self.env.pki
        opts = f"server;mux=0;host={WS_HOST};path={WS_PATH};loglevel=none"
        if self.tls:
            opts += f";tls;cert={pki}/leaf-chain.pem;key={pki}/leaf.key"
        return self._start("server", lambda port: {
            "SS_REMOTE_HOST": "127.0.0.1", "SS_REMOTE_PORT": str(port),
            "SS_LOCAL_HOST": "127.0.0.1", "SS_LOCAL_PORT": str(target), "SS_PLUGIN_OPTIONS": opts})

    def start_client(self, server_port):
        opts = f"mux=0;host={WS_HOST};path={WS_PATH};loglevel=none"
        if self.tls:
            opts += f";tls;cert={self.env.pki}/ca.crt"
        return self._start("client", lambda port: {
            "SS_LOCAL_HOST": "127.0.0.1", "SS_LOCAL_PORT": str(port),
            "SS_REMOTE_HOST": "127.0.0.1", "SS_REMOTE_PORT": str(server_port), "SS_PLUGIN_OPTIONS": opts})


# Port 0: each end picks a free port for its Prometheus endpoint.
PROXY_SERVER = "accept-proxy;trusted=127.0.0.1"
PROXY_CLIENT = "proxy-protocol=v2"
METRICS = "metrics=127.0.0.1:0"


def make_setups(env):
    pki = env.pki
    ws = f"ws;host={WS_HOST};path={WS_PATH}"
    tls_s = f"tls;cert={pki}/leaf-chain.pem;key={pki}/leaf.key"
    tls_c = f"tls;sni={WS_HOST};ca={pki}/ca.crt"
    return [
        Direct(env),
        Kaminari(env, "kaminari-plain", "kaminari plain", "plain", "", ""),
        Kaminari(env, "kaminari-plain-t1", "kaminari plain threads=1", "plain", "threads=1", "threads=1",
                 only={"thr_p8"}),
        Haproxy(env, False),
        Haproxy(env, True),
        Socat(env),
        Kaminari(env, "kaminari-tls", "kaminari tls", "tls", tls_s, tls_c),
        Stunnel(env, True),
        Stunnel(env, False),
        Kaminari(env, "kaminari-ws", "kaminari ws", "ws", ws, ws),
        V2ray(env, False),
        Kaminari(env, "kaminari-wss", "kaminari wss", "wss", f"{ws};{tls_s}", f"{ws};{tls_c}"),
        Kaminari(env, "kaminari-wss-0rtt", "kaminari wss 0rtt", "wss", f"{ws};{tls_s}", f"{ws};{tls_c};0rtt",
                 only={"ttfb"}),
        V2ray(env, True),
        # The PROXY protocol between the two ends (the client sends v2, the server requires
        # it): what reading and writing a header costs a connection.
        Kaminari(env, "kaminari-plain-proxy", "kaminari plain proxy-protocol", "plain", PROXY_SERVER, PROXY_CLIENT,
                 only={"rtt", "conn", "ttfb", "mem"}),
        Kaminari(env, "kaminari-wss-proxy", "kaminari wss proxy-protocol", "wss", f"{ws};{tls_s};{PROXY_SERVER}",
                 f"{ws};{tls_c};{PROXY_CLIENT}", only={"rtt", "conn", "ttfb", "mem"}),
        # The same pairs with metrics= on both ends (docs/benchmarks.md: the cost of counting).
        Kaminari(env, "kaminari-plain-metrics", "kaminari plain metrics=", "plain", METRICS, METRICS),
        Kaminari(env, "kaminari-wss-metrics", "kaminari wss metrics=", "wss", f"{ws};{tls_s};{METRICS}",
                 f"{ws};{tls_c};{METRICS}"),
    ]


# ------------------------------------------------------------------ loads
def run_json(argv, timeout):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout}s"
    try:
        doc = json.loads(r.stdout)  # iperf3 -J: one document over many lines
    except ValueError:
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        doc = json.loads(lines[-1]) if lines else None
    if doc is None or (r.returncode != 0 and "error" not in doc):
        return None, (r.stderr or r.stdout).strip()[-300:]
    return doc, None


class Suite:
    def __init__(self, a, env, setups):
        self.a = a
        self.env = env
        self.setups = setups
        self.samples = []
        self.errors = []

    def add(self, rnd, setup, figure, value, **extra):
        s = {"round": rnd, "setup": setup.key, "figure": figure, "value": value}
        s.update(extra)
        self.samples.append(s)

    def error(self, rnd, setup, figure, what):
        log(f"  ! {setup.key} {figure}: {what}")
        self.errors.append({"round": rnd, "setup": setup.key, "figure": figure, "error": str(what)[:500]})

    # ---- phase A: echo target: memory, RTT, connections/s, TTFB
    def phase_echo(self, rnd, echo_port):
        a = self.a
        pairs = {}
        for s in self.setups:
            if not (s.takes("mem") or s.takes("rtt") or s.takes("conn") or s.takes("ttfb")):
                continue
            try:
                pairs[s.key] = s.start_pair(echo_port)
            except Exception as e:  # noqa: BLE001 - reported and the setup skipped
                self.error(rnd, s, "start", e)
        procs_started = [p for v in pairs.values() for p in v[2] + v[3]]
        try:
            time.sleep(0.3)
            self.memory(rnd, pairs)
            for s in self.setups:
                if s.key in pairs and s.takes("rtt"):
                    cport = pairs[s.key][0]
                    r, err = run_json([self.env.kbench, "rtt", "--to", f"127.0.0.1:{cport}", "--count",
                                       str(a.rtt_count), "--warmup", "200", "--max-seconds", "15"], 30)
                    if err:
                        self.error(rnd, s, "rtt", err)
                    else:
                        self.add(rnd, s, "rtt_p50_us", r["p50_us"], n=r["n"])
                        self.add(rnd, s, "rtt_p99_us", r["p99_us"], n=r["n"])
            for s in self.setups:
                if s.key in pairs and s.takes("conn"):
                    cport = pairs[s.key][0]
                    procs = pairs[s.key][2] + pairs[s.key][3]
                    c0 = cpu_ticks(procs)
                    r, err = run_json([self.env.kbench, "connrate", "--to", f"127.0.0.1:{cport}", "--clients", "32",
                                       "--seconds-ms", str(int(a.conn_seconds * 1000))], a.conn_seconds + 30)
                    c1 = cpu_ticks(procs)
                    if err:
                        self.error(rnd, s, "conn", err)
                    else:
                        self.add(rnd, s, "conn_rate", r["rate"], errors=r["errors"], conns=r["conns"],
                                 cpu_ms_per_conn=((c1 - c0) * 1000 / CLK_TCK / r["conns"]) if r["conns"] and procs else None)
                    time.sleep(0.5)  # let the tunnel wind the last connections down
            self.ttfb(rnd, pairs, echo_port)
        finally:
            for p in procs_started:
                p.stop()

    def memory(self, rnd, pairs):
        a = self.a
        for s in self.setups:
            if s.key not in pairs or not s.takes("mem") or s.key == "direct":
                continue
            cport, _, cprocs, sprocs = pairs[s.key]
            # One connection first (one 64-byte echo), so lazy set-up is done.
            _, err = run_json([self.env.kbench, "rtt", "--to", f"127.0.0.1:{cport}", "--count", "1", "--warmup", "0"], 20)
            if err:
                self.error(rnd, s, "mem", f"first connection: {err}")
                continue
            time.sleep(0.3)
            self.add(rnd, s, "rss_client_kb", sum(status_kb(p.pid, "VmRSS") for p in cprocs))
            self.add(rnd, s, "rss_server_kb", sum(status_kb(p.pid, "VmRSS") for p in sprocs))
            before = pss_kb(cprocs + sprocs)
            holder = subprocess.Popen([self.env.kbench, "hold", "--to", f"127.0.0.1:{cport}", "--count",
                                       str(a.hold), "--concurrency", "64", "--open-seconds", "60",
                                       "--max-seconds", "120"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True)
            try:
                line = holder.stdout.readline()
                res = json.loads(line) if line.startswith("{") else None
                if res is None or res["held"] == 0:
                    self.error(rnd, s, "mem", f"hold: {line.strip()}")
                    continue
                time.sleep(0.5)
                after = pss_kb(cprocs + sprocs)
                self.add(rnd, s, "pss_per_conn_kb", (after - before) / res["held"], held=res["held"],
                         wanted=a.hold, pss_before_kb=before, pss_after_kb=after,
                         open_seconds=res["open_seconds"])
            finally:
                try:
                    holder.stdin.close()
                    holder.wait(timeout=30)
                except (subprocess.TimeoutExpired, BrokenPipeError):
                    holder.kill()
                    holder.wait()
            time.sleep(1.0)  # the tunnel closes its 2 x held connections

    def ttfb(self, rnd, pairs, echo_port):
        """Each client side (a new instance) is pointed at a relay that adds 20 ms in each
        direction in front of the pair's server side; each then carries `count` new
        connections one after another (the first is cold, the later ones may resume)."""
        a = self.a
        started = []
        try:
            for s in self.setups:
                if not s.takes("ttfb"):
                    continue
                server_key = "kaminari-wss" if s.key == "kaminari-wss-0rtt" else s.key
                if server_key not in pairs:
                    continue
                sport = pairs[server_key][1]
                try:
                    relay_port_file = self.env.work / f"{self.env.name('relay-' + s.key)}.port"
                    relay = Proc(self.env.name(f"relay-{s.key}"), [self.env.kbench, "delay", "--port-file",
                                 str(relay_port_file), "--to", f"127.0.0.1:{sport}", "--delay-ms",
                                 str(a.delay_ms), "--max-seconds", "600"], self.env.work)
                    started.append(relay)
                    rport = int(wait_file(relay, relay_port_file))
                    cport, cprocs = s.start_client(rport)
                    started += cprocs
                except Exception as e:  # noqa: BLE001
                    self.error(rnd, s, "ttfb", e)
                    continue
                r, err = run_json([self.env.kbench, "ttfb", "--to", f"127.0.0.1:{cport}", "--count",
                                   str(a.ttfb_count), "--gap-ms", "150"], 60)
                if err or r["failures"]:
                    self.error(rnd, s, "ttfb", err or r)
                    continue
                t = r["ttfb_ms"]
                rtt = 2 * a.delay_ms
                self.add(rnd, s, "ttfb_first_ms", t[0], round_trips=round(t[0] / rtt, 2), all=t)
                warm = statistics.median(t[1:]) if len(t) > 1 else t[0]
                self.add(rnd, s, "ttfb_later_ms", warm, round_trips=round(warm / rtt, 2), all=t)
        finally:
            for p in started:
                p.stop()

    # ---- phase B: iperf3 target: throughput and CPU per GiB
    def start_iperf_server(self, port):
        p = Proc(self.env.name("iperf3-server"), ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port),
                                                  "--rcv-timeout", "10000"], self.env.work)
        wait_port(p, port)
        return p

    def phase_iperf(self, rnd):
        a = self.a
        iperf_port = free_port()
        server = self.start_iperf_server(iperf_port)
        pairs = {}
        for s in self.setups:
            if not any(s.takes(f) for f in ("thr_up", "thr_down", "thr_p8")):
                continue
            try:
                pairs[s.key] = s.start_pair(iperf_port)
            except Exception as e:  # noqa: BLE001
                self.error(rnd, s, "start", e)
        started = [p for v in pairs.values() for p in v[2] + v[3]]
        try:
            for fig, extra in (("thr_up", []), ("thr_down", ["-R"]), ("thr_p8", ["-P", "8"])):
                for s in self.setups:
                    if s.key not in pairs or not s.takes(fig):
                        continue
                    cport, _, cprocs, sprocs = pairs[s.key]
                    procs = cprocs + sprocs
                    for attempt in (1, 2):  # one retry: a failed run is reported, not counted
                        c0 = cpu_ticks(procs)
                        r, err = run_json(["iperf3", "-c", "127.0.0.1", "-p", str(cport), "-t", str(a.seconds),
                                           "-J", "--connect-timeout", "5000"] + extra, a.seconds + 25)
                        c1 = cpu_ticks(procs)
                        if err is None and "error" in r:
                            err = r["error"]
                        if not err:
                            break
                        self.error(rnd, s, fig, f"attempt {attempt}: {err}")
                        if not server.alive() or not listening(iperf_port):
                            server.stop()
                            server = self.start_iperf_server(iperf_port)
                        time.sleep(1)
                    if err:
                        continue
                    recv = r["end"]["sum_received"]
                    gbps = recv["bits_per_second"] / 1e9
                    self.add(rnd, s, fig, gbps, bytes=recv["bytes"],
                             retransmits=r["end"].get("sum_sent", {}).get("retransmits"))
                    if procs:
                        cpu_s = (c1 - c0) / CLK_TCK
                        self.add(rnd, s, fig.replace("thr_", "cpu_"), cpu_s / (recv["bytes"] / 2**30),
                                 cpu_s=cpu_s, bytes=recv["bytes"])
                    time.sleep(0.3)
        finally:
            for p in started:
                p.stop()
            server.stop()

    # ---- UDP: uot vs a direct UDP baseline
    def phase_udp(self, rnd, echo_port, uot):
        a = self.a
        for key, label in (("udp-direct", "direct UDP (no tunnel)"), ("kaminari-uot", "kaminari uot")):
            if key == "kaminari-uot" and not uot:
                continue
            started = []
            s = Setup(self.env)
            s.key, s.label = key, label
            try:
                target = echo_port
                if key == "kaminari-uot":
                    sp = Proc(self.env.name("uot-server"), [self.env.kaminaris, "127.0.0.1:0",
                                                            f"127.0.0.1:{echo_port}", "uot"], self.env.work)
                    started.append(sp)
                    sport = wait_banner_port(sp)
                    cp = Proc(self.env.name("uot-client"), [self.env.kaminaric, "127.0.0.1:0",
                                                            f"127.0.0.1:{sport}", "uot"], self.env.work)
                    started.append(cp)
                    target = wait_banner_port(cp)
                    time.sleep(0.2)
                c0 = cpu_ticks(started)
                r, err = run_json([self.env.kbench, "udp", "--to", f"127.0.0.1:{target}", "--size", "1200",
                                   "--window", "32", "--seconds-ms", str(int(a.udp_seconds * 1000))], a.udp_seconds + 20)
                c1 = cpu_ticks(started)
                if err:
                    self.error(rnd, s, "udp", err)
                    continue
                self.add(rnd, s, "udp_rate", r["rate"], loss=r["loss"], sent=r["sent"], received=r["received"],
                         cpu_s=(c1 - c0) / CLK_TCK)
                self.add(rnd, s, "udp_loss_pct", 100 * r["loss"])
                self.add(rnd, s, "udp_rtt_p50_us", r["rtt_p50_us"])
            except Exception as e:  # noqa: BLE001
                self.error(rnd, s, "udp", e)
            finally:
                for p in started:
                    p.stop()

    # ---- a profile of kaminari under one iperf3 stream (full runs only)
    PERF_EVENTS = ["task-clock", "context-switches", "raw_syscalls:sys_enter", "syscalls:sys_enter_read",
                   "syscalls:sys_enter_write", "syscalls:sys_enter_recvmsg", "syscalls:sys_enter_sendmsg",
                   "syscalls:sys_enter_recvfrom", "syscalls:sys_enter_sendto",
                   "syscalls:sys_enter_readv", "syscalls:sys_enter_writev", "syscalls:sys_enter_splice",
                   "syscalls:sys_enter_epoll_wait", "syscalls:sys_enter_futex"]

    def profile(self):
        """perf stat (3 s) and perf record (1 s) on both kaminari processes while one
        iperf3 stream runs through the pair."""
        if not shutil.which("perf"):
            return []
        out = []
        iperf_port = free_port()
        server = self.start_iperf_server(iperf_port)
        stat_s = 3
        try:
            for s in self.setups:
                if s.key not in ("kaminari-plain", "kaminari-tls", "kaminari-ws", "kaminari-wss"):
                    continue
                log(f"profile: {s.key}")
                cport, _, cprocs, sprocs = s.start_pair(iperf_port)
                try:
                    pids = ",".join(str(p.pid) for p in cprocs + sprocs)
                    data = self.env.work / f"perf-{s.key}.data"
                    load = subprocess.Popen(["iperf3", "-c", "127.0.0.1", "-p", str(cport), "-t", "6", "-J"],
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                    time.sleep(0.5)
                    stat = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(self.PERF_EVENTS), "-p", pids,
                                           "--", "sleep", str(stat_s)], capture_output=True, text=True, timeout=30)
                    rec = subprocess.run(["perf", "record", "-q", "-F", "999", "-o", str(data), "-p", pids, "--",
                                          "sleep", "1"], capture_output=True, text=True, timeout=30)
                    lout, _ = load.communicate(timeout=30)
                    try:
                        bps = json.loads(lout)["end"]["sum_received"]["bits_per_second"]
                    except (ValueError, KeyError):
                        bps = None
                    counts = {}
                    for ln in stat.stderr.splitlines():
                        parts = ln.split(",")
                        if len(parts) > 2 and parts[2] in self.PERF_EVENTS:
                            try:
                                counts[parts[2]] = float(parts[0])
                            except ValueError:
                                counts[parts[2]] = None
                    rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort",
                                          "dso,symbol", "--percent-limit", "1.5"], capture_output=True, text=True,
                                         timeout=60)
                    top = []
                    for ln in rep.stdout.splitlines():
                        if not ln.strip() or ln.startswith("#"):
                            continue
                        ln = " ".join(ln.split())
                        while ln.endswith(" -"):
                            ln = ln[:-2]
                        top.append(ln)
                    dso = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort",
                                          "dso", "--percent-limit", "1"], capture_output=True, text=True, timeout=60)
                    dsos = [" ".join(ln.split()) for ln in dso.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
                    out.append({"setup": s.key, "seconds": stat_s, "counts": counts, "bits_per_second": bps,
                                "top": top[:16], "dso": dsos[:8], "record_error": rec.stderr.strip()[-300:] if rec.returncode else None})
                finally:
                    for p in cprocs + sprocs:
                        p.stop()
        except Exception as e:  # noqa: BLE001
            out.append({"error": str(e)})
        finally:
            server.stop()
        return out


def uot_available(kaminaric):
    """True when the binary accepts `uot`: a refusal exits at once with status 2."""
    p = subprocess.Popen([kaminaric, "127.0.0.1:0", "127.0.0.1:1", "uot"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=1.5)
        return False, f"exit status {p.returncode}: {out.strip().splitlines()[-1] if out.strip() else ''}"
    except subprocess.TimeoutExpired:
        p.terminate()
        p.wait(timeout=5)
        return True, "accepted"


def machine_info(bindir, rev_label):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""
    lscpu = sh("lscpu")
    info = {k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in lscpu.splitlines() if ":" in ln)}
    versions = {}
    for pkg in ("haproxy", "socat", "stunnel4", "shadowsocks-v2ray-plugin", "iperf3", "openssl", "libssl3",
                "gnuplot-nox", "libbenchmark-dev", "g++", "libboost1.81-dev", "linux-perf"):
        versions[pkg] = sh(f"dpkg-query -W -f='${{Version}}' {pkg} 2>/dev/null") or "not installed"
    return {
        "cpu_model": info.get("Model name", "?"),
        "cpus": info.get("CPU(s)", "?"),
        "threads_per_core": info.get("Thread(s) per core", "?"),
        "hypervisor": info.get("Hypervisor vendor", ""),
        "kernel": sh("uname -r"),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "mem": sh("free -g | awk '/Mem:/ {print $2 \" GiB\"}'"),
        "versions": versions,
        "kaminari_rev": sh(f"git -C {ROOT} rev-parse --short {rev_label or 'HEAD'}"),
        # Measured from the working tree: were src/ or CMakeLists.txt changed since that commit?
        "kaminari_dirty": False if rev_label else bool(sh(f"git -C {ROOT} status --porcelain -- src CMakeLists.txt")),
        "kaminari_source": f"git archive {rev_label}" if rev_label else "working tree",
        "kaminari_version": sh(f"{bindir}/kaminaric --version 2>&1 | head -n1"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", default=str(ROOT / "build" / "bench"))
    ap.add_argument("--out", default=str(ROOT / "build" / "bench" / "results" / "results.json"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--seconds", type=int, help="iperf3 -t per measurement")
    ap.add_argument("--only", help="comma-separated setup keys (development)")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--hold", type=int, help="connections held for the PSS figure (default 2000; --quick: 500)")
    ap.add_argument("--command", default="bash bench/run.sh")
    ap.add_argument("--rev-label", default="", help="the revision built (bench/run.sh --rev)")
    a = ap.parse_args()
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.seconds = a.seconds or (2 if a.quick else 4)
    a.rtt_count = 1000 if a.quick else 5000
    a.conn_seconds = 1.0 if a.quick else 2.0
    a.hold = a.hold or (500 if a.quick else 2000)
    a.delay_ms = 20
    a.ttfb_count = 4 if a.quick else 6
    a.udp_seconds = 1.0 if a.quick else 3.0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(min(hard, 65536), soft)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    out = Path(a.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=out.parent))
    pki = work / "pki"
    mk = subprocess.run(["bash", "-c", 'set -e; work="$1"; source tests/interop/lib.sh; source tests/interop/pki.sh; '
                         'kmr_make_pki "$1/pki"', "pki", str(work)], cwd=ROOT, capture_output=True, text=True)
    if mk.returncode != 0:
        sys.exit(f"making the test PKI failed: {mk.stdout}{mk.stderr}")
    env = Env(a.bindir, work, pki)
    if not env.v2ray:
        sys.exit("v2ray-plugin is missing (Debian package shadowsocks-v2ray-plugin)")
    setups = make_setups(env)
    if a.only:
        keep = set(a.only.split(","))
        setups = [s for s in setups if s.key in keep]
    suite = Suite(a, env, setups)
    uot, uot_note = uot_available(env.kaminaric)
    log(f"uot: {'available' if uot else 'not available'} ({uot_note})")

    meta = machine_info(a.bindir, a.rev_label)
    meta.update({
        "command": a.command, "quick": a.quick, "rounds": a.rounds, "iperf_seconds": a.seconds,
        "rtt_count": a.rtt_count, "conn_seconds": a.conn_seconds, "hold": a.hold, "delay_ms": a.delay_ms,
        "ttfb_count": a.ttfb_count, "udp_seconds": a.udp_seconds, "uot_available": uot, "uot_note": uot_note,
        "loadavg_start": open("/proc/loadavg").read().split()[:3], "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "clk_tck": CLK_TCK,
        "setups": [{"key": s.key, "label": s.label, "group": s.group} for s in setups],
    })
    t0 = time.monotonic()

    echo_port_file = work / "echo.port"
    echo = Proc("echo", [env.kbench, "echo", "--port-file", str(echo_port_file), "--max-seconds", "3600"], work)
    try:
        echo_port = int(wait_file(echo, echo_port_file))
        for rnd in range(1, a.rounds + 1):
            log(f"round {rnd}/{a.rounds}: memory, RTT, connections/s, TTFB")
            suite.phase_echo(rnd, echo_port)
            log(f"round {rnd}/{a.rounds}: UDP")
            suite.phase_udp(rnd, echo_port, uot)
            log(f"round {rnd}/{a.rounds}: throughput and CPU per GiB (iperf3 -t {a.seconds})")
            suite.phase_iperf(rnd)
        profile = [] if (a.quick or a.no_profile) else suite.profile()
    finally:
        echo.stop()
    meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    meta["duration_s"] = round(time.monotonic() - t0, 1)
    out.write_text(json.dumps({"meta": meta, "samples": suite.samples, "errors": suite.errors,
                               "profile": profile}, indent=1))
    log(f"wrote {out} ({len(suite.samples)} samples, {len(suite.errors)} errors, {meta['duration_s']} s)")
    if suite.errors or os.environ.get("KMR_BENCH_KEEP_WORK"):
        log(f"logs and configurations kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

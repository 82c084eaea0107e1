#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Does a kaminari pair give its memory back after bursts of TLS connections?
(bench/tls_memory.sh builds the programs and calls this; docs/operations.md shows the
figures.)

For each setup (tls, wss) a fresh kaminaris + kaminaric pair is started on loopback in
front of kbench's echo server, and `--rounds` rounds are run through it: kbench hold
opens `--count` connections (64 handshakes at a time), each does one 64-byte echo; all
are held for `--hold-seconds`, then closed together. PSS (/proc/PID/smaps_rollup) of each
process is taken at idle (after one first connection), at each peak (all held), after
each round (once both processes are back to their idle descriptor count, plus 5 s), and
`--settle` seconds after the last close.

Only processes started here are stopped, by PID. Every wait is bounded.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite import WS_HOST, WS_PATH, Proc, log, run_json, wait_banner_port, wait_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def wait_fds(pids, idle, seconds):
    """Until every process is back to (about) its idle descriptor count; False on timeout."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(fd_count(p) <= idle[p] + 2 for p in pids):
            return True
        time.sleep(0.1)
    return False


def setups(pki, threads, server_extra=""):
    ws = f"ws;host={WS_HOST};path={WS_PATH}"
    tls_s = f"tls;cert={pki}/leaf-chain.pem;key={pki}/leaf.key"
    tls_c = f"tls;sni={WS_HOST};ca={pki}/ca.crt"
    extra = f";threads={threads}" if threads else ""
    s_extra = extra + (f";{server_extra}" if server_extra else "")
    return {
        "tls": (tls_s + s_extra, tls_c + extra),
        "wss": (f"{ws};{tls_s}{s_extra}", f"{ws};{tls_c}{extra}"),
    }


class Pair:
    def __init__(self, a, work, key, server_opts, client_opts, echo_port):
        self.key = key
        self.server = Proc(f"{key}-server", [a.kaminaris, "127.0.0.1:0", f"127.0.0.1:{echo_port}", server_opts], work)
        sport = wait_banner_port(self.server)
        self.client = Proc(f"{key}-client", [a.kaminaric, "127.0.0.1:0", f"127.0.0.1:{sport}", client_opts], work)
        self.port = wait_banner_port(self.client)
        self.procs = {"client": self.client, "server": self.server}

    def pss(self):
        return {name: pss_kb(p.pid) for name, p in self.procs.items()}

    def stop(self):
        for p in (self.client, self.server):
            p.stop()


def hold_round(a, pair, idle_fds):
    """One round: open, hold, sample the peak, close, wait for both ends to close theirs."""
    holder = subprocess.Popen([a.kbench, "hold", "--to", f"127.0.0.1:{pair.port}", "--count", str(a.count),
                               "--concurrency", "64", "--open-seconds", "180", "--max-seconds", "300"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = holder.stdout.readline()
        res = json.loads(line) if line.startswith("{") else {"held": 0, "error": line.strip()}
        time.sleep(a.hold_seconds)
        peak = pair.pss()
    finally:
        try:
            holder.stdin.close()
            holder.wait(timeout=60)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            holder.kill()
            holder.wait()
    closed_at = time.monotonic()
    settled = wait_fds([p.pid for p in pair.procs.values()], idle_fds, 60)
    time.sleep(a.after_seconds)
    return res, peak, pair.pss(), settled, closed_at


def run_setup(a, work, key, opts, echo_port):
    pair = Pair(a, work, key, opts[0], opts[1], echo_port)
    rec = {"setup": key, "count": a.count, "rounds": []}
    try:
        _, err = run_json([a.kbench, "rtt", "--to", f"127.0.0.1:{pair.port}", "--count", "1", "--warmup", "0"], 20)
        if err:
            raise RuntimeError(f"{key}: first connection failed: {err}")
        time.sleep(1.0)
        idle_fds = {p.pid: fd_count(p.pid) for p in pair.procs.values()}
        rec["idle"] = pair.pss()
        log(f"{key}: idle PSS {fmt(rec['idle'])}")
        closed_at = time.monotonic()
        for rnd in range(1, a.rounds + 1):
            res, peak, after, settled, closed_at = hold_round(a, pair, idle_fds)
            rec["rounds"].append({"held": res.get("held", 0), "errors": res.get("errors"),
                                  "open_seconds": res.get("open_seconds"), "peak": peak, "after": after,
                                  "closed": settled})
            log(f"{key}: round {rnd}: held {res.get('held', 0)}/{a.count}; peak {fmt(peak)}; after {fmt(after)}"
                + ("" if settled else " (not all connections had closed after 60 s)"))
        time.sleep(max(0.0, closed_at + a.settle - time.monotonic()))
        rec["settled"] = pair.pss()
        log(f"{key}: {a.settle:g} s after the last close: {fmt(rec['settled'])}")
        for name, p in pair.procs.items():
            if not p.alive():
                raise RuntimeError(f"{key}-{name} exited:\n{p.tail()}")
    finally:
        pair.stop()
    return rec


def fmt(pss):
    return ", ".join(f"{k} {v / 1024:.1f} MB" for k, v in pss.items())


def table(records, settle):
    head = ["setup", "process", "idle"]
    rounds = max(len(r["rounds"]) for r in records)
    for i in range(1, rounds + 1):
        head += [f"peak {i}", f"after {i}"]
    head += [f"+{settle:g} s", "round 3 - round 2" if rounds >= 3 else "last - first"]
    rows = []
    for r in records:
        for proc in ("client", "server"):
            row = [r["setup"], proc, r["idle"][proc]]
            for rd in r["rounds"]:
                row += [rd["peak"][proc], rd["after"][proc]]
            row.append(r["settled"][proc])
            afters = [rd["after"][proc] for rd in r["rounds"]]
            growth = afters[-1] - afters[-2] if len(afters) >= 2 else 0
            rows.append([str(x) if isinstance(x, str) else f"{x / 1024:.1f}" for x in row]
                        + [f"{growth / 1024:+.1f}"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", default=str(ROOT / "build" / "bench"))
    ap.add_argument("--count", type=int, default=10000, help="connections held at once per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hold-seconds", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=30.0, help="seconds after the last close for the last figure")
    ap.add_argument("--after-seconds", type=float, default=5.0,
                    help="seconds after both ends are back to their idle descriptors for the round's figure")
    ap.add_argument("--only", default="tls,wss")
    ap.add_argument("--threads", type=int, default=0, help="threads= for both ends (default: kaminari's)")
    ap.add_argument("--server-options", default="", help="more options for kaminaris, e.g. tls-session-cache=1024")
    ap.add_argument("--out", help="write the figures as JSON here")
    ap.add_argument("--label", default="", help="printed with the table (e.g. the revision)")
    a = ap.parse_args()
    bindir = Path(a.bindir).resolve()
    a.kaminaric, a.kaminaris, a.kbench = str(bindir / "kaminaric"), str(bindir / "kaminaris"), str(bindir / "bench" / "kbench")

    # Each kaminari end holds two descriptors per connection (its two legs).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cap = (hard - 200) // 2 if hard != resource.RLIM_INFINITY else 100000
    if not 1 <= a.count <= min(cap, 100000):
        bounded = max(1, min(a.count, cap, 100000))
        log(f"--count {a.count} is beyond what the descriptor limit ({hard}) allows two per connection; using {bounded}")
        a.count = bounded
    if a.rounds < 1 or a.rounds > 10:
        sys.exit("--rounds: 1-10")

    work = Path(tempfile.mkdtemp(prefix="tls-memory-", dir=ROOT / "build"))
    mk = subprocess.run(["bash", "-c", 'set -e; work="$1"; source tests/interop/lib.sh; source tests/interop/pki.sh; '
                         'kmr_make_pki "$1/pki"', "pki", str(work)], cwd=ROOT, capture_output=True, text=True)
    if mk.returncode != 0:
        sys.exit(f"making the test PKI failed: {mk.stdout}{mk.stderr}")
    all_setups = setups(work / "pki", a.threads, a.server_options)
    echo_port_file = work / "echo.port"
    echo = Proc("echo", [a.kbench, "echo", "--port-file", str(echo_port_file), "--max-seconds", "7200"], work)
    records = []
    failed = False
    try:
        echo_port = int(wait_file(echo, echo_port_file))
        for key in a.only.split(","):
            if key not in all_setups:
                sys.exit(f"--only: unknown setup {key} (tls, wss)")
            records.append(run_setup(a, work, key, all_setups[key], echo_port))
    except Exception as e:  # noqa: BLE001
        failed = True
        log(f"failed: {e}")
    finally:
        echo.stop()
    if records:
        print()
        print(f"PSS in MB{' (' + a.label + ')' if a.label else ''}: {a.count} connections per round, "
              f"held {a.hold_seconds:g} s")
        print(table(records, a.settle))
    if a.out:
        Path(a.out).write_text(json.dumps({"label": a.label, "count": a.count, "records": records}, indent=1))
    if failed or os.environ.get("KMR_BENCH_KEEP_WORK"):
        log(f"logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Renders the benchmark report (Markdown and gnuplot PNGs) from the raw results that
bench/suite.py wrote, so that rerunning bench/run.sh regenerates docs/benchmarks.md.

    python3 bench/report.py --results build/bench/results/results.json \
        --micro build/bench/results/micro.json --out docs

Every figure is the median over the rounds, with the spread (min-max) beside it. A ratio
against a peer is computed per round (both measured in the same round, so the drift of
the shared machine cancels) and its median and min-max are given.
"""
import argparse
import json
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

# What each setup is, for the reader (bench/suite.py starts them).
HOW = {
    "direct": "iperf3 / the load client straight to the target: no tunnel, the ceiling",
    "kaminari-plain": "`kaminaric` → `kaminaris`, options `''` (threads = 2 cores)",
    "kaminari-plain-t1": "as kaminari plain with `threads=1` on both ends (8-stream throughput only)",
    "haproxy": "haproxy → haproxy, `mode tcp`, `maxconn 6000`, timeouts 10 min (nbthread: default, 2)",
    "haproxy-splice": "as haproxy plus `option splice-auto`",
    "socat": "`socat TCP-LISTEN:p,fork,reuseaddr TCP:…` → the same (one process per connection)",
    "kaminari-tls": "client `tls;sni=example.com;ca=<test CA>`, server `tls;cert=<leaf chain>;key=<leaf key>`; "
                    "negotiates TLS 1.3 TLS_AES_128_GCM_SHA256 (kaminari's preferred suite, as forced on the stunnel pair below)",
    "stunnel-aes128": "stunnel client → stunnel server, both `sslVersionMin = TLSv1.3`, "
                      "`ciphersuites = TLS_AES_128_GCM_SHA256`; client verifies the chain and host",
    "stunnel": "the same stunnel pair left at its defaults (TLS 1.3, TLS_AES_256_GCM_SHA384)",
    "kaminari-ws": "`ws;host=example.com;path=/ws` on both ends (client mask: skip, the zero key)",
    "v2ray-ws": "v2ray-plugin client `mux=0;host=example.com;path=/ws` → server "
                "`server;mux=0;host=…;path=…` (standalone, SIP003 variables)",
    "kaminari-wss": "`ws;host=…;path=/ws;tls;…` (client `sni=example.com;ca=<test CA>`, server cert/key)",
    "kaminari-wss-0rtt": "kaminari wss with `0rtt` on the client (TTFB only)",
    "v2ray-wss": "v2ray-plugin with `tls;host=…;path=/ws;mux=0`, client `cert=<test CA>`, "
                 "server `cert=`/`key=` (leaf chain)",
    "udp-direct": "UDP datagrams straight to the echo",
    "kaminari-uot": "`kaminaric … uot` → `kaminaris … uot` → the UDP echo",
}

# Rows of the comparison tables: (kaminari setup, [(peer, label)]).
GROUPS = [
    ("plain", "kaminari-plain", ["haproxy-splice", "haproxy", "socat"]),
    ("tls", "kaminari-tls", ["stunnel-aes128", "stunnel"]),
    ("ws", "kaminari-ws", ["v2ray-ws", "haproxy-splice"]),
    ("wss", "kaminari-wss", ["v2ray-wss", "stunnel-aes128"]),
]

FIGURES = {
    # key: (title, unit, format, higher is better)
    "thr_up": ("throughput, 1 stream up", "Gbit/s", "{:.2f}", True),
    "thr_down": ("throughput, 1 stream down (-R)", "Gbit/s", "{:.2f}", True),
    "thr_p8": ("throughput, 8 streams (-P 8)", "Gbit/s", "{:.2f}", True),
    "cpu_up": ("CPU s per GiB, 1 stream up", "s/GiB", "{:.2f}", False),
    "cpu_down": ("CPU s per GiB, 1 stream down", "s/GiB", "{:.2f}", False),
    "cpu_p8": ("CPU s per GiB, 8 streams", "s/GiB", "{:.2f}", False),
    "rtt_p50_us": ("RTT p50, 64 B", "µs", "{:.1f}", False),
    "rtt_p99_us": ("RTT p99, 64 B", "µs", "{:.1f}", False),
    "conn_rate": ("new connections/s, 32 clients", "conn/s", "{:.0f}", True),
    "rss_client_kb": ("idle RSS, client process", "MiB", "{:.1f}", False),
    "rss_server_kb": ("idle RSS, server process", "MiB", "{:.1f}", False),
    "pss_per_conn_kb": ("PSS per held connection, client + server", "KiB", "{:.1f}", False),
    "ttfb_first_ms": ("TTFB, first connection", "ms", "{:.1f}", False),
    "ttfb_later_ms": ("TTFB, later connections (median)", "ms", "{:.1f}", False),
    "udp_rate": ("UDP datagrams/s echoed (1200 B, 32 in flight)", "dgram/s", "{:.0f}", True),
    "udp_loss_pct": ("UDP loss", "%", "{:.2f}", False),
    "udp_rtt_p50_us": ("UDP RTT p50", "µs", "{:.1f}", False),
}
SCALE = {"rss_client_kb": 1 / 1024, "rss_server_kb": 1 / 1024}


class Data:
    def __init__(self, doc):
        self.meta = doc["meta"]
        self.errors = doc.get("errors", [])
        self.profile = doc.get("profile", [])
        self.by = defaultdict(dict)  # (setup, figure) -> {round: sample}
        for s in doc["samples"]:
            self.by[(s["setup"], s["figure"])][s["round"]] = s
        self.labels = {s["key"]: s["label"] for s in self.meta["setups"]}
        self.labels.update({"udp-direct": "direct UDP (no tunnel)", "kaminari-uot": "kaminari uot"})
        self.order = [s["key"] for s in self.meta["setups"]]

    def values(self, setup, fig):
        scale = SCALE.get(fig, 1)
        return [s["value"] * scale for _, s in sorted(self.by.get((setup, fig), {}).items())]

    def median(self, setup, fig):
        v = self.values(setup, fig)
        return statistics.median(v) if v else None

    def spread(self, setup, fig):
        v = self.values(setup, fig)
        return (min(v), max(v)) if v else None

    def cell(self, setup, fig):
        v = self.values(setup, fig)
        if not v:
            return "–"
        f = FIGURES[fig][2]
        m = f.format(statistics.median(v))
        if len(v) == 1:
            return m
        return f"{m} ({f.format(min(v))}–{f.format(max(v))})"

    def ratios(self, setup, peer, fig):
        """kaminari / peer, per round (paired)."""
        a, b = self.by.get((setup, fig), {}), self.by.get((peer, fig), {})
        out = []
        for r in sorted(set(a) & set(b)):
            if b[r]["value"]:
                out.append(a[r]["value"] / b[r]["value"])
        return out

    def ratio_cell(self, setup, peer, fig):
        r = self.ratios(setup, peer, fig)
        if not r:
            return "–"
        m = f"{statistics.median(r):.2f}×"
        if len(r) == 1:
            return m
        return f"{m} ({min(r):.2f}–{max(r):.2f})"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ plots
def gnuplot_bars(d, path, figs, titles, ylabel, title, workdir, logscale=False, setups=None):
    setups = [s for s in (setups or d.order) if any(d.values(s, f) for f in figs)]
    if not setups:
        return False
    dat = workdir / (path.stem + ".dat")
    with open(dat, "w") as f:
        for s in setups:
            cols = []
            for fig in figs:
                m, sp = d.median(s, fig), d.spread(s, fig)
                cols += [m, sp[0], sp[1]] if m is not None else [float("nan")] * 3
            f.write('"' + d.labels.get(s, s).replace('"', "") + '" ' + " ".join(f"{c:.6g}" for c in cols) + "\n")
    plots = []
    for i, t in enumerate(titles):
        c = 2 + 3 * i
        plots.append(f"'{dat}' using {c}:{c + 1}:{c + 2}:xtic(1) title '{t}'")
    script = f"""set terminal pngcairo size 1100,560 font ',10' noenhanced
set output '{path}'
set title '{title}'
set ylabel '{ylabel}'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.75 border -1
set boxwidth 0.9
set xtics rotate by 30 right scale 0
set key top right
set bmargin 10
set rmargin 3
set grid ytics
{"set logscale y" if logscale else "set yrange [0:*]"}
set datafile missing 'nan'
plot {", ".join(plots)}
"""
    sp = workdir / (path.stem + ".gp")
    sp.write_text(script)
    r = subprocess.run(["gnuplot", str(sp)], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"gnuplot failed for {path.name}: {r.stderr.strip()[:300]}")
        return False
    return True


# ------------------------------------------------------------------ targets
def targets(d):
    """The issue's section 2 targets, each with the measured ratio (median of per-round
    ratios) and met / not met."""
    rows = []

    def ratio_target(what, group, setup, peer, fig, op, bound):
        r = d.ratios(setup, peer, fig)
        if not r:
            rows.append((what, group, f"≤/≥ {bound}× {d.labels.get(peer, peer)}", "not measured", "–"))
            return
        med = statistics.median(r)
        ok = med >= bound if op == ">=" else med <= bound
        spread = f" ({min(r):.2f}–{max(r):.2f})" if len(r) > 1 else ""
        rows.append((what, group, f"{op.replace('>=', '≥').replace('<=', '≤')} {bound}× {d.labels.get(peer, peer)}",
                     f"{med:.2f}×{spread}", "**met**" if ok else "not met"))

    def abs_target(what, group, setup, fig, bound, unit):
        m = d.median(setup, fig)
        if m is None:
            rows.append((what, group, f"≤ {bound} {unit}", "not measured", "–"))
            return
        sp = d.spread(setup, fig)
        spread = f" ({sp[0]:.1f}–{sp[1]:.1f})" if sp[0] != sp[1] else ""
        rows.append((what, group, f"≤ {bound} {unit}", f"{m:.1f} {unit}{spread}", "**met**" if m <= bound else "not met"))

    spec = [
        ("throughput, 1 stream up", "thr_up", ">=", {"plain": ("haproxy-splice", 1.35), "ws": ("haproxy-splice", 1.35),
                                                     "tls": ("stunnel-aes128", 1.6), "wss": ("stunnel-aes128", 1.4)}),
        ("CPU s per GiB (1 stream up)", "cpu_up", "<=", {"plain": ("haproxy-splice", 0.5), "ws": ("haproxy-splice", 0.55),
                                                         "tls": ("stunnel-aes128", 0.65), "wss": ("stunnel-aes128", 0.65)}),
        ("RTT p50, 64 B", "rtt_p50_us", "<=", {"plain": ("haproxy", 0.7), "ws": ("haproxy", 0.7),
                                              "tls": ("stunnel-aes128", 0.55), "wss": ("stunnel-aes128", 0.55)}),
        ("new connections/s", "conn_rate", ">=", {"plain": ("haproxy", 1.1), "ws": ("haproxy", 0.95),
                                                  "tls": ("stunnel-aes128", 4), "wss": ("stunnel-aes128", 5)}),
    ]
    setup_of = {"plain": "kaminari-plain", "ws": "kaminari-ws", "tls": "kaminari-tls", "wss": "kaminari-wss"}
    for what, fig, op, per in spec:
        for group in ("plain", "ws", "tls", "wss"):
            peer, bound = per[group]
            ratio_target(what, group, setup_of[group], peer, fig, op, bound)
    for group, bound in (("plain", 8), ("ws", 10), ("tls", 20), ("wss", 22)):
        abs_target("PSS per held connection, client + server", group, setup_of[group], "pss_per_conn_kb", bound, "KiB")
    # idle RSS <= 3 MB per process (3 MiB taken as the bound; /proc reports KiB)
    worst = []
    for key in ("kaminari-plain", "kaminari-tls", "kaminari-ws", "kaminari-wss"):
        for fig in ("rss_client_kb", "rss_server_kb"):
            m = d.median(key, fig)
            if m is not None:
                worst.append((m, key, fig))
    if worst:
        m, key, fig = max(worst)
        lo = min(w[0] for w in worst)
        rows.append(("idle RSS per process", "all", "≤ 3 MiB", f"{lo:.1f}–{m:.1f} MiB (largest: {d.labels[key]}, "
                     f"{'client' if 'client' in fig else 'server'})", "**met**" if m <= 3 else "not met"))
    # 0-RTT saves one round trip on wss
    a, b = d.by.get(("kaminari-wss-0rtt", "ttfb_later_ms"), {}), d.by.get(("kaminari-wss", "ttfb_later_ms"), {})
    if a and b:
        ra = statistics.median(s["round_trips"] for s in a.values())
        rb = statistics.median(s["round_trips"] for s in b.values())
        rows.append(("wss first byte with `0rtt` (later connections)", "wss", "one round trip fewer than without",
                     f"{ra:.2f} vs {rb:.2f} round trips ({rb - ra:.2f} fewer)",
                     "**met**" if round(rb) - round(ra) >= 1 else "not met"))
    else:
        rows.append(("wss first byte with `0rtt`", "wss", "one round trip fewer", "not measured", "–"))
    r = d.ratios("kaminari-plain", "kaminari-plain-t1", "thr_p8")
    if r:
        med = statistics.median(r)
        spread = f" ({min(r):.2f}–{max(r):.2f})" if len(r) > 1 else ""
        rows.append(("8-stream throughput grows with `threads=2`", "plain", "threads=2 / threads=1 > 1",
                     f"{med:.2f}×{spread}", "**met**" if med > 1.0 else "not met"))
    return rows


# ------------------------------------------------------------------ observations
def observations(d):
    """A few readings derived from this run's data (they change when the data do)."""
    out = []
    prof = {p["setup"]: p for p in d.profile if "counts" in p}

    def rate(p, name):
        return (p["counts"].get(name) or 0) / p["seconds"]

    def dso_share(p):
        """' Samples: 65% kernel, 23% libcrypto.so.3, ...' from perf report --sort dso."""
        parts = []
        for ln in p.get("dso", [])[:4]:
            bits = ln.split()
            if len(bits) >= 2 and bits[0].endswith("%"):
                parts.append(f"{float(bits[0][:-1]):.0f} % {bits[1].strip('[]').replace('kernel.kallsyms', 'kernel')}")
        return (" Samples: " + ", ".join(parts) + ".") if parts else ""

    for key in ("kaminari-plain", "kaminari-ws"):
        p = prof.get(key)
        if not (p and rate(p, "syscalls:sys_enter_splice") > 0):
            continue
        moved = (p.get("bits_per_second") or 0) / 8
        per = 4 * moved / (rate(p, "syscalls:sys_enter_splice") or 1)
        out.append(f"**{d.labels.get(key, key)}** is spliced: {rate(p, 'syscalls:sys_enter_splice') / 1000:.0f}k "
                   f"splice calls/s, ≈ {per / 1024:.0f} KiB per call, and almost no copy traffic; its CPU per GiB "
                   f"is {d.ratio_cell(key, 'haproxy-splice', 'cpu_up')} of haproxy+splice's." + dso_share(p))
    for key in ("kaminari-wss", "kaminari-tls"):
        p = prof.get(key)
        if not p:
            continue
        reads, writes = rate(p, "syscalls:sys_enter_read"), rate(p, "syscalls:sys_enter_write")
        recv = rate(p, "syscalls:sys_enter_recvfrom") + rate(p, "syscalls:sys_enter_recvmsg")
        send = rate(p, "syscalls:sys_enter_sendto") + rate(p, "syscalls:sys_enter_sendmsg")
        ep = rate(p, "syscalls:sys_enter_epoll_wait")
        label = d.labels.get(key, key)
        if writes and reads >= 1.6 * writes:
            out.append(f"**{label}**: {reads / 1000:.0f}k `read()` against {writes / 1000:.0f}k `write()` calls "
                       "per second, about two reads per TLS record written, which is what OpenSSL does without "
                       "read-ahead (the 5-byte record header, then the body). Read-ahead "
                       "(`SSL_CTX_set_read_ahead`, with a 16 KiB+ buffer) would halve them. epoll_wait: "
                       f"{ep / 1000:.0f}k/s." + dso_share(p))
        elif recv and ep >= 0.8 * recv:
            data_calls = reads + writes + recv + send
            moved = (p.get("bits_per_second") or 0) / 8
            out.append(f"**{label}** copies through user space: {recv / 1000:.0f}k recv and {send / 1000:.0f}k "
                       f"send calls/s of ≈ {4 * moved / (data_calls or 1) / 1024:.0f} KiB, and {ep / 1000:.0f}k "
                       "epoll_wait/s, about one per read; the kernel's copies (`_copy_to_iter`, `_copy_from_iter`) "
                       "lead the profile. TLS needs the bytes in user space to encrypt them, and this kernel has no "
                       "kernel TLS to take that over." + dso_share(p))
    r_aes = d.ratios("kaminari-tls", "stunnel", "thr_up")
    if r_aes:
        out.append("kaminari tls prefers TLS_AES_128_GCM_SHA256, as the forced stunnel pair uses; against stunnel at "
                   "its default (TLS_AES_256_GCM_SHA384) kaminari tls moves "
                   f"{d.ratio_cell('kaminari-tls', 'stunnel', 'thr_up')} as much per stream at "
                   f"{d.ratio_cell('kaminari-tls', 'stunnel', 'cpu_up')} the CPU per GiB.")
    c = d.by.get(("kaminari-tls", "conn_rate"), {})
    cs = d.by.get(("stunnel-aes128", "conn_rate"), {})
    if c and cs:
        k = statistics.median(x.get("cpu_ms_per_conn") or 0 for x in c.values())
        s_ = statistics.median(x.get("cpu_ms_per_conn") or 0 for x in cs.values())
        out.append(f"A new TLS connection costs the kaminari pair {k:.2f} ms of CPU against {s_:.2f} ms for the "
                   "stunnel pair (both ends summed, same certificate); this run does not profile where the "
                   "difference goes (full handshakes against resumed ones, or per-connection set-up).")
    r = d.ratios("kaminari-plain", "kaminari-plain-t1", "thr_p8")
    if r and statistics.median(r) <= 1.05:
        out.append("8 streams did not grow with `threads=2` here. On 2 cores that iperf3's client and server "
                   "also keep busy, a second worker mostly competes with them: this target needs a machine with "
                   "spare cores to be judged.")
    noisy = []
    for fig in ("thr_up", "thr_down", "thr_p8", "rtt_p50_us", "conn_rate"):
        for st in d.order:
            sp = d.spread(st, fig)
            if sp and sp[0] > 0 and sp[1] / sp[0] > 1.5:
                f = FIGURES[fig][2]
                noisy.append((sp[1] / sp[0], f"{d.labels.get(st, st)}, {FIGURES[fig][0]} "
                                             f"({f.format(sp[0])}–{f.format(sp[1])} {FIGURES[fig][1]})"))
    if noisy:
        noisy.sort(reverse=True)
        out.append(f"{len(noisy)} figures varied by more than 1.5× between rounds (load average "
                   f"{d.meta['loadavg_start'][0]} at the start, {d.meta['loadavg_end'][0]} at the end: other "
                   "engineers' builds); the widest: " + "; ".join(n for _, n in noisy[:6]) +
                   ". Read them with their spread; the per-round ratios are steadier than the absolute figures.")
    return out


# ------------------------------------------------------------------ micro
def micro_section(path):
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return ["Microbenchmarks: no results file."]
    runs = defaultdict(list)
    for b in doc["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        name = b.get("run_name", b["name"])
        runs[name].append(b)
    ctx = doc.get("context", {})
    lines = [f"Google Benchmark {'(library built as DEBUG by Debian; the code under test is Release)' if ctx.get('library_build_type') == 'debug' else ''}, "
             f"{len(next(iter(runs.values()), []))} repetition(s) each; median and min–max over the repetitions. "
             "GB/s is 10⁹ bytes per second.", ""]
    rows = []
    gbps = {}
    for name, bs in runs.items():
        ns = [b["real_time"] if b.get("time_unit") == "ns" else b["real_time"] for b in bs]
        unit = bs[0].get("time_unit", "ns")
        vals = []
        if "bytes_per_second" in bs[0]:
            v = [b["bytes_per_second"] / 1e9 for b in bs]
            gbps[name] = statistics.median(v)
            vals.append(f"{statistics.median(v):.2f} GB/s" + (f" ({min(v):.2f}–{max(v):.2f})" if len(v) > 1 else ""))
        if "items_per_second" in bs[0]:
            v = [b["items_per_second"] / 1e6 for b in bs]
            vals.append(f"{statistics.median(v):.1f} M items/s" + (f" ({min(v):.1f}–{max(v):.1f})" if len(v) > 1 else ""))
        val = "; ".join(vals) or "–"
        rows.append((f"`{name}`", f"{statistics.median(ns):.1f} {unit}", val))
    lines.append(table(["benchmark", "time per iteration (median)", "throughput"], rows))
    # unmasking vs memcpy
    cmp_rows = []
    for size in (64, 1400, 16384, 65536, 1048576):
        m = gbps.get(f"BM_ApplyMask/size:{size}/random_key:1")
        c = gbps.get(f"BM_Memcpy/size:{size}")
        if m and c:
            cmp_rows.append((size, f"{m:.2f}", f"{c:.2f}", f"{m / c:.2f}×"))
    if cmp_rows:
        lines += ["", "Unmasking with a random key (in place) against `memcpy` of the same size:", "",
                  table(["bytes", "apply_mask GB/s", "memcpy GB/s", "ratio"], cmp_rows)]
    z = gbps.get("BM_ApplyMask/size:16384/random_key:0")
    if z:
        lines += ["", f"A zero key (kaminari's `skip` mask) returns at once: {z:.0f} GB/s \"equivalent\" for 16 KiB, "
                  "i.e. no pass over the data at all."]
    return lines


# ------------------------------------------------------------------ the document
def render(d, micro, out):
    m = d.meta
    try:
        m["micro_uot"] = any("Uot" in b["name"] for b in json.loads(Path(micro).read_text())["benchmarks"])
    except (OSError, ValueError, KeyError):
        m["micro_uot"] = False
    img = out / "benchmarks"
    img.mkdir(parents=True, exist_ok=True)
    tmp = Path("build/bench/results/plots")  # gnuplot's data and scripts
    tmp.mkdir(parents=True, exist_ok=True)
    plots = {}
    plots["throughput"] = gnuplot_bars(d, img / "throughput.png", ["thr_up", "thr_down", "thr_p8"],
                                       ["1 stream up", "1 stream down", "8 streams"], "Gbit/s",
                                       "iperf3 throughput through each tunnel pair (median, bars: min-max)", tmp)
    plots["cpu"] = gnuplot_bars(d, img / "cpu.png", ["cpu_up", "cpu_down", "cpu_p8"],
                                ["1 stream up", "1 stream down", "8 streams"], "CPU seconds per GiB",
                                "CPU seconds of the tunnel processes per GiB moved (lower is better)", tmp)
    plots["rtt"] = gnuplot_bars(d, img / "rtt.png", ["rtt_p50_us", "rtt_p99_us"], ["p50", "p99"], "microseconds",
                                "64-byte ping-pong round trip on one connection (log scale)", tmp, logscale=True)
    plots["conn"] = gnuplot_bars(d, img / "connrate.png", ["conn_rate"], ["connections/s"], "connections/s",
                                 "New connections per second, 32 concurrent clients (connect, 64-byte echo, close)", tmp)
    plots["mem"] = gnuplot_bars(d, img / "pss.png", ["pss_per_conn_kb"], ["PSS per connection"], "KiB",
                                f"PSS added per held connection, client + server ({m['hold']} held)", tmp)
    plots["rss"] = gnuplot_bars(d, img / "rss.png", ["rss_client_kb", "rss_server_kb"], ["client", "server"], "MiB",
                                "Idle RSS after start and one connection", tmp)
    plots["ttfb"] = gnuplot_bars(d, img / "ttfb.png", ["ttfb_first_ms", "ttfb_later_ms"],
                                 ["first connection", "later connections"], "ms",
                                 f"Time to first byte through a relay adding {m['delay_ms']} ms each way", tmp)

    L = []
    L += ["# Benchmarks", "",
          "Kaminari against the tunnels users would pick instead, all on one machine over loopback, "
          "measured side by side in the same run (issue 6). Generated by `bench/report.py` from the raw "
          "results of `bench/run.sh`: rerun it to regenerate this page, and do so whenever the data path changes.", "",
          "## How to run it", "",
          "```sh",
          "bash bench/run.sh            # the full run (this page): 3 interleaved rounds, ~15-20 min on 2 cores",
          "bash bench/run.sh --quick    # 1 round, short loads (~3 min); report in build/bench/results/quick/",
          "```", "",
          "It installs the peers and tools from Debian (`scripts/install-deps.sh --bench`), builds kaminari "
          "Release with the bench tools in `build/bench` (`-DKMR_BUILD_TESTS=OFF -DKMR_BUILD_BENCH=ON`), runs "
          "the Google Benchmark microbenchmarks (`bench/micro/`), then `bench/suite.py`, which starts every tunnel "
          "pair on 127.0.0.1 (free ports) and runs the same loads through each, and finally this report. Raw "
          "samples: `build/bench/results/results.json` and `micro.json`. `--rev REV` measures a committed "
          "revision instead of the working tree; `--only a,b` limits the setups while developing.", "",
          "Method:", "",
          "- **Interleaved rounds.** Every round starts each pair afresh, then measures one figure for every "
          "setup in turn (A B C …), then the next figure; the rounds repeat that. Drift of the shared machine "
          "therefore hits every setup alike. Each cell is the **median over the rounds, with min–max** in "
          "brackets; each **ratio** is computed within a round (kaminari ÷ peer) and its median (min–max) "
          "is given.",
          "- **Throughput**: `iperf3 -c … -t T -J` through the pair (one stream up, one down with `-R`, and "
          "`-P 8`), received bytes per second.",
          "- **CPU s/GiB**: utime+stime of the tunnel processes (client and server, plus anything they forked, "
          "from `/proc/<pid>/stat`, ticks ÷ CLK_TCK) over the iperf3 run, divided by the GiB received. On "
          "loopback the kernel's TCP work for a send is charged to the sender, so this includes the socket "
          "cost each tunnel causes; it is the fairest figure on a shared 2-core machine.",
          "- **RTT**: `kbench rtt` (bench/tools/kbench.cpp), 64-byte ping-pongs on one connection "
          f"({m['rtt_count']} after 200 warm-up), p50 and p99.",
          "- **Connections/s**: `kbench connrate`, 32 concurrent clients each doing connect, a 64-byte echo, "
          f"close, for {m['conn_seconds']} s.",
          "- **Idle RSS**: VmRSS of each process after start and one connection. **PSS per connection**: "
          f"`kbench hold` opens {m['hold']} connections (each does one 64-byte echo, then stays open); the "
          "sum of Pss (`/proc/<pid>/smaps_rollup`, client + server and their children) after minus before, "
          "divided by the connections held.",
          f"- **TTFB**: a new client-side instance is pointed at `kbench delay`, a relay that adds {m['delay_ms']} ms "
          "each way in front of the pair's server side (a new connection's first bytes leave no sooner than its "
          "TCP handshake would allow, so the handshake counts as one round trip); "
          f"`kbench ttfb` makes {m['ttfb_count']} connections one after another, each timing connect → 64 bytes "
          "sent → first echoed byte. Round trips = TTFB ÷ 40 ms. The first connection is cold; the later ones "
          "may resume a TLS session.",
          "- The target behind every pair is `kbench echo` (TCP and UDP echo, epoll) or `iperf3 -s`.", ""]

    L += ["## This run", ""]
    v = m["versions"]
    L += [table(["", ""], [
        ("date", m["started"]),
        ("command", f"`{m['command']}`"),
        ("mode", f"{'quick' if m['quick'] else 'full'}: {m['rounds']} round(s), iperf3 -t {m['iperf_seconds']}, "
                 f"{m['duration_s']} s in all (suite only)"),
        ("machine", f"{m['cpu_model']}, {m['cpus']} CPUs ({m['threads_per_core']} thread per core), "
                    f"{m['mem']}{', ' + m['hypervisor'] + ' guest' if m.get('hypervisor') else ''}"),
        ("kernel", f"`{m['kernel']}` ({m['os']})"),
        ("load average (1, 5, 15 min)", f"start {' '.join(m['loadavg_start'])}, end {' '.join(m['loadavg_end'])}"),
        ("kaminari", f"{m['kaminari_version']}, `{m['kaminari_rev']}`"
                     f"{' + uncommitted changes in src/' if m.get('kaminari_dirty') else ''} "
                     f"({m.get('kaminari_source', 'working tree')}), Release, g++ {v.get('g++', '?')}"),
    ] + [(f"`{p}`", ver) for p, ver in v.items()]), ""]
    L += ["The machine has 2 cores shared with other engineers' builds and tests; the load average above "
          "shows how busy it was. Every load generator, target and both ends of each tunnel share those 2 "
          "cores, so absolute figures are far below a dedicated machine's; the ratios within a round are "
          "what to read.", ""]
    L += ["Setups:", "", table(["setup", "what runs"], [(d.labels.get(s, s), HOW.get(s, "")) for s in d.order]), ""]

    # headline
    L += ["## Headline: kaminari ÷ peer, same run", "",
          "Median of the per-round ratios (min–max). Above 1 is better for throughput and connections/s; "
          "below 1 is better for CPU, RTT, memory and TTFB.", ""]
    hdr = ["kaminari", "vs", "throughput 1 stream up", "CPU s/GiB (up)", "RTT p50", "conn/s",
           "PSS per conn", "idle RSS (client)", "TTFB (later conns)"]
    rows = []
    for group, k, peers in GROUPS:
        for p in peers:
            rows.append((group, d.labels.get(p, p)) + tuple(d.ratio_cell(k, p, f) for f in (
                "thr_up", "cpu_up", "rtt_p50_us", "conn_rate", "pss_per_conn_kb", "rss_client_kb", "ttfb_later_ms")))
    L += [table(hdr, rows), ""]

    def fig_table(figs, note=None, setups=None):
        rows = []
        for s in setups or d.order:
            if not any(d.values(s, f) for f in figs):
                continue
            rows.append([d.labels.get(s, s)] + [d.cell(s, f) for f in figs])
        hdr = ["setup"] + [f"{FIGURES[f][0]} ({FIGURES[f][1]})" for f in figs]
        out = [table(hdr, rows), ""]
        if note:
            out += [note, ""]
        return out

    def ratio_table(figs):
        rows = []
        for group, k, peers in GROUPS:
            for p in peers:
                rows.append([d.labels.get(k, k), d.labels.get(p, p)] + [d.ratio_cell(k, p, f) for f in figs])
        return [table(["kaminari", "÷ peer"] + [FIGURES[f][0] for f in figs], rows), ""]

    obs_lines = observations(d)
    if obs_lines:
        L += ["## Observations from this run", ""] + [f"- {o}" for o in obs_lines] + [""]

    L += ["## Throughput (iperf3)", ""]
    if plots["throughput"]:
        L += ["![throughput](benchmarks/throughput.png)", ""]
    L += fig_table(["thr_up", "thr_down", "thr_p8"])
    L += ratio_table(["thr_up", "thr_down", "thr_p8"])
    r = d.ratios("kaminari-plain", "kaminari-plain-t1", "thr_p8")
    if r:
        L += [f"kaminari plain, 8 streams, `threads=2` ÷ `threads=1`: {statistics.median(r):.2f}× "
              f"({min(r):.2f}–{max(r):.2f}).", ""]

    L += ["## CPU seconds per GiB moved", ""]
    if plots["cpu"]:
        L += ["![cpu](benchmarks/cpu.png)", ""]
    L += fig_table(["cpu_up", "cpu_down", "cpu_p8"])
    L += ratio_table(["cpu_up", "cpu_down", "cpu_p8"])

    L += ["## Round trip, 64-byte ping-pong", ""]
    if plots["rtt"]:
        L += ["![rtt](benchmarks/rtt.png)", ""]
    L += fig_table(["rtt_p50_us", "rtt_p99_us"],
                   "p99 on this shared machine mostly measures the neighbours' scheduling; read p50.")
    L += ratio_table(["rtt_p50_us", "rtt_p99_us"])

    L += ["## New connections per second", ""]
    if plots["conn"]:
        L += ["![connections](benchmarks/connrate.png)", ""]
    rows = []
    for s in d.order:
        if d.values(s, "conn_rate"):
            cpu = [x.get("cpu_ms_per_conn") for x in d.by[(s, "conn_rate")].values() if x.get("cpu_ms_per_conn")]
            errs = sum(x.get("errors", 0) for x in d.by[(s, "conn_rate")].values())
            rows.append((d.labels.get(s, s), d.cell(s, "conn_rate"),
                         f"{statistics.median(cpu):.3f}" if cpu else "–", errs))
    L += [table(["setup", "connections/s", "CPU ms per connection (tunnel processes)", "failed connections"], rows), ""]
    L += ["TLS setups pay an RSA-2048 signature per full handshake (the test leaf is RSA 2048, as "
          "tests/interop/pki.sh makes it); resumed sessions skip it.", ""]
    L += ratio_table(["conn_rate"])

    L += ["## Memory", ""]
    if plots["mem"]:
        L += ["![pss](benchmarks/pss.png)", ""]
    if plots["rss"]:
        L += ["![rss](benchmarks/rss.png)", ""]
    rows = []
    for s in d.order:
        if d.values(s, "pss_per_conn_kb"):
            held = [x.get("held") for x in d.by[(s, "pss_per_conn_kb")].values()]
            rows.append((d.labels.get(s, s), d.cell(s, "rss_client_kb"), d.cell(s, "rss_server_kb"),
                         d.cell(s, "pss_per_conn_kb"), f"{min(held)}/{m['hold']}"))
    L += [table(["setup", "idle RSS client (MiB)", "idle RSS server (MiB)", "PSS per held connection (KiB)",
                 "held"], rows), ""]
    L += ["RSS counts shared library pages in full (OpenSSL, libstdc++); PSS per connection is what each "
          "extra connection really costs. socat forks a process per connection and stunnel starts a thread "
          "per connection: their children are summed.", ""]
    L += ratio_table(["pss_per_conn_kb", "rss_client_kb", "rss_server_kb"])

    L += ["## Time to first byte through a 20 ms relay", ""]
    if plots["ttfb"]:
        L += ["![ttfb](benchmarks/ttfb.png)", ""]
    rows = []
    for s in d.order:
        first = d.by.get((s, "ttfb_first_ms"), {})
        later = d.by.get((s, "ttfb_later_ms"), {})
        if not first:
            continue
        rt_f = statistics.median(x["round_trips"] for x in first.values())
        rt_l = statistics.median(x["round_trips"] for x in later.values())
        seqs = "; ".join(", ".join(f"{t:.0f}" for t in x["all"]) for _, x in sorted(first.items()))
        rows.append((d.labels.get(s, s), d.cell(s, "ttfb_first_ms"), f"{rt_f:.2f}", d.cell(s, "ttfb_later_ms"),
                     f"{rt_l:.2f}", seqs))
    L += [table(["setup", "first connection (ms)", "round trips", "later connections (ms)", "round trips",
                 "every connection, per round (ms)"], rows), ""]
    L += ["Round trips: TCP handshake 1, TLS 1.3 handshake 1, WebSocket upgrade 1, then the request and its "
          "echo 1. So plain 2, tls 3, ws 3, wss 4; with `0rtt` a resumed wss connection sends its upgrade "
          "and data in the first flight (3).", ""]
    if d.by.get(("kaminari-wss-0rtt", "ttfb_first_ms")):
        L += ["kaminari keeps TLS session tickets per worker thread (one store per `io_context`): with the "
              "default 2 threads, a connection that lands on a worker whose store is still empty makes a full "
              "handshake (4 round trips), typically the second one; the others resume with early data (3). "
              "The per-connection column shows which.", ""]

    L += ["## UDP over TCP (uot)", ""]
    if not m.get("uot_available"):
        L += [f"**not measured: uot not available in this build** (`kaminaric 127.0.0.1:0 127.0.0.1:1 uot` → "
              f"{m.get('uot_note', '')}). The direct UDP baseline below is measured so the row is ready "
              "when the layer lands.", ""]
    rows = []
    for s in ("udp-direct", "kaminari-uot"):
        if d.values(s, "udp_rate"):
            rows.append((d.labels.get(s, s), d.cell(s, "udp_rate"), d.cell(s, "udp_loss_pct"),
                         d.cell(s, "udp_rtt_p50_us")))
    if rows:
        L += [table(["setup", "datagrams/s echoed (1200 B, 32 in flight)", "loss (%)", "RTT p50 (µs)"], rows), ""]
        if d.values("kaminari-uot", "udp_rate"):
            L += [f"kaminari uot ÷ direct UDP, datagrams/s: {d.ratio_cell('kaminari-uot', 'udp-direct', 'udp_rate')}.", ""]

    L += ["## Microbenchmarks (hot pure code)", ""]
    L += micro_section(micro)
    if not d.meta.get("micro_uot"):
        L += ["", "UoT codec: **not benchmarked**: `src/uot/framing.hpp` did not exist in the sources "
              "that were built."]
    L += [""]

    L += ["## Targets (issue 6, section 2)", "",
          "Each target of the issue's table, against the peer it names, as measured in this run "
          "(median of per-round ratios, min–max in brackets). \"haproxy+splice\" is haproxy with "
          "`option splice-auto`; \"stunnel\" is stunnel forced to TLS 1.3 AES-128-GCM.", ""]
    L += [table(["figure", "transport", "target", "measured", "result"], targets(d)), ""]

    if d.profile:
        L += ["## Profile: kaminari under one iperf3 stream (perf)", "",
              "While `iperf3 -t 6` runs one stream up through a fresh pair, `perf stat` counts for 3 s and "
              "`perf record -F 999` samples for 1 s on both kaminari processes (this VM exposes no "
              "hardware counters: no cycles or instructions). Bytes per data syscall ≈ 4 × bytes moved ÷ "
              "the read/write/recv/send/splice calls, since each end reads and writes every byte once.", ""]
        rows = []
        data_names = ("read", "write", "recvfrom", "sendto", "recvmsg", "sendmsg", "readv", "writev", "splice")
        for p in d.profile:
            if "error" in p:
                L += [f"profile failed: {p['error']}", ""]
                continue
            c = p["counts"]
            sec = p["seconds"]

            def rate(name):
                return (c.get(name) or 0) / sec

            data_calls = sum((c.get(f"syscalls:sys_enter_{n}") or 0) for n in data_names)
            bps = p.get("bits_per_second")
            per_call = (4 * bps / 8 * sec / data_calls) if bps and data_calls else None
            breakdown = ", ".join(f"{n} {rate('syscalls:sys_enter_' + n) / 1000:.0f}k"
                                  for n in data_names + ("epoll_wait", "futex")
                                  if rate("syscalls:sys_enter_" + n) >= 500)
            rows.append((d.labels.get(p["setup"], p["setup"]), f"{bps / 1e9:.2f}" if bps else "–",
                         f"{rate('task-clock') / 1000:.2f}",
                         f"{rate('raw_syscalls:sys_enter') / 1000:.0f}k", breakdown,
                         f"{per_call / 1024:.1f} KiB" if per_call else "–",
                         f"{rate('context-switches') / 1000:.1f}k"))
        L += [table(["setup", "Gbit/s", "CPUs busy", "syscalls/s", "per second (≥ 500/s)",
                     "bytes per data syscall", "context switches/s"], rows), ""]
        for p in d.profile:
            if "top" in p:
                L += [f"{d.labels.get(p['setup'], p['setup'])}: samples by object, then the top symbols:", "",
                      "```text"] + p.get("dso", []) + [""] + p["top"] + ["```", ""]

    if d.errors:
        L += ["## Errors and retries in this run", "",
              table(["round", "setup", "figure", "error"],
                    [(e["round"], e["setup"], e["figure"], e["error"].replace("\n", " ").replace("|", "/")[:200])
                     for e in d.errors]), ""]
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.md").write_text("\n".join(L).rstrip() + "\n")
    print(f"wrote {out / 'benchmarks.md'} and {img}/*.png")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="build/bench/results/results.json")
    ap.add_argument("--micro", default="build/bench/results/micro.json")
    ap.add_argument("--out", default="docs")
    a = ap.parse_args()
    d = Data(json.loads(Path(a.results).read_text()))
    render(d, a.micro, Path(a.out))


if __name__ == "__main__":
    main()

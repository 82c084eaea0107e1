#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Memory given back after bursts of TLS connections (docs/operations.md, "Memory"):
#
#   bash bench/tls_memory.sh                 3 rounds of 10,000 tls and then wss connections
#   bash bench/tls_memory.sh --rev main      the same against a committed revision
#
# For each of tls and wss, a fresh kaminaris + kaminaric pair on 127.0.0.1 carries rounds
# of N connections opened (64 handshakes at a time), held together for a moment, then
# closed together. It prints the PSS of each process at idle, at each peak, after each
# round and 30 s after the last close, as a Markdown table. About 3 minutes on 2 cores.
#
# Flags (all optional):
#   --count N         connections per round (default 10000; bounded by the descriptor
#                     limit: each kaminari end holds two per connection)
#   --rounds R        rounds (default 3)
#   --settle S        seconds after the last close for the last figure (default 30)
#   --only tls,wss    the setups
#   --threads N       threads= for both ends (default: one per core)
#   --server-options O  more options for kaminaris (e.g. tls-session-cache=1024)
#   --rev REV         build and measure a committed revision (git archive REV into
#                     build/bench/src-SHORT, built in build/bench/rev-SHORT), with this
#                     tree's bench/
#   --out FILE        also write the figures as JSON
# KMR_BENCH_KEEP_WORK=1 keeps the processes' logs (kept anyway on errors).
set -euo pipefail
cd "$(dirname "$0")/.."

rev=""
args=()
while (($#)); do
  case "$1" in
    --rev) rev=$2; shift ;;
    --count|--rounds|--settle|--only|--threads|--out|--server-options) args+=("$1" "$2"); shift ;;
    -h|--help) sed -n '3,24p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--count N] [--rounds R] [--settle S] [--only tls,wss] [--threads N] [--rev REV] [--out FILE]" >&2
       exit 2 ;;
  esac
  shift
done

src=.
bindir=build/bench
label="working tree $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+changes')"
if [[ -n $rev ]]; then
  short=$(git rev-parse --short "$rev")
  src=build/bench/src-$short
  bindir=build/bench/rev-$short
  label="revision $rev ($short)"
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  rm -rf "$src/bench"
  cp -r bench "$src/bench"
fi
mkdir -p build/bench
echo "building kaminari (Release) and kbench in $bindir"
cmake -S "$src" -B "$bindir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKMR_BUILD_TESTS=OFF \
  -DKMR_BUILD_BENCH=ON >/dev/null
ninja -C "$bindir" kaminaric kaminaris kbench >build/bench/tls-memory-build.log 2>&1 ||
  { tail -n 40 build/bench/tls-memory-build.log >&2; echo "the build failed" >&2; exit 1; }

python3 bench/tls_memory.py --bindir "$bindir" --label "$label" "${args[@]}"

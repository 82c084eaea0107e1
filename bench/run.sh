#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark suite in one command (docs/benchmarks.md describes what it measures):
#
#   bash bench/run.sh              full run (3 interleaved rounds, about 15-20 minutes on
#                                  2 cores); renders docs/benchmarks.md and docs/benchmarks/*.png
#   bash bench/run.sh --quick      1 round, short loads (about 3 minutes), for development;
#                                  renders into build/bench/results/quick/ and leaves docs/ alone
#
# Other flags (all optional):
#   --rounds N        rounds (default 3; --quick: 1)
#   --seconds T       iperf3 -t per throughput measurement (default 4; --quick: 2)
#   --only a,b,...    only these setups (keys as in the results file), for development
#   --rev REV         measure a committed revision (git archive REV, built in
#                     build/bench/rev-REV) instead of the working tree
#   --no-install      do not run scripts/install-deps.sh --bench
#   --out DIR         where the rendered report goes (default: see above)
#
# It installs the peers from Debian (haproxy, socat, stunnel4, v2ray-plugin, iperf3,
# gnuplot, Google Benchmark, perf), builds kaminari Release with the bench tools in
# build/bench, runs the microbenchmarks, then bench/suite.py (every tunnel pair on
# 127.0.0.1, the raw samples in build/bench/results/results.json), then bench/report.py.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
install=1
rev=""
out=""
suite_args=()
orig_args=("$@")
while (($#)); do
  case "$1" in
    --quick) quick=1; suite_args+=(--quick) ;;
    --rounds|--seconds|--only) suite_args+=("$1" "$2"); shift ;;
    --rev) rev=$2; shift ;;
    --out) out=$2; shift ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '3,23p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--rounds N] [--seconds T] [--only a,b] [--rev REV] [--no-install] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

((install)) && bash scripts/install-deps.sh --bench

results=build/bench/results
mkdir -p "$results"

# --- build: Release, no tests, with the bench tools (KMR_BUILD_BENCH=ON)
src=.
bindir=build/bench
if [[ -n $rev ]]; then
  # A committed revision: its sources, plus this tree's bench/ (and the two CMake lines
  # that add it, if that revision predates them).
  short=$(git rev-parse --short "$rev")
  src=build/bench/src-$short
  bindir=build/bench/rev-$short
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  rm -rf "$src/bench"
  cp -r bench "$src/bench"
  if ! grep -q KMR_BUILD_BENCH "$src/CMakeLists.txt"; then
    printf '%s\n' 'option(KMR_BUILD_BENCH "Build bench/" OFF)' 'if(KMR_BUILD_BENCH)' \
      '  add_subdirectory(bench)' 'endif()' >>"$src/CMakeLists.txt"
  fi
fi
echo "building kaminari (Release) and the bench tools in $bindir"
cmake -S "$src" -B "$bindir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKMR_BUILD_TESTS=OFF \
  -DKMR_BUILD_BENCH=ON >/dev/null
ninja -C "$bindir" kaminaric kaminaris kbench kmr_micro >"$results/build.log" 2>&1 ||
  { tail -n 40 "$results/build.log" >&2; echo "the build failed (see $results/build.log)" >&2; exit 1; }

# --- microbenchmarks (Google Benchmark; JSON kept for the report)
echo "microbenchmarks"
if ((quick)); then micro_args=(--benchmark_min_time=0.05); else
  micro_args=(--benchmark_min_time=0.2 --benchmark_repetitions=5)
fi
"$bindir/bench/kmr_micro" "${micro_args[@]}" --benchmark_format=console \
  --benchmark_out="$results/micro.json" --benchmark_out_format=json >"$results/micro.txt" 2>&1 ||
  { cat "$results/micro.txt" >&2; exit 1; }

# --- the tunnels
command_line="bash bench/run.sh${orig_args[*]:+ ${orig_args[*]}}"
python3 bench/suite.py --bindir "$bindir" --out "$results/results.json" --command "$command_line" \
  ${rev:+--rev-label "$rev"} "${suite_args[@]}"

# --- the report
if [[ -z $out ]]; then
  if ((quick)); then out=$results/quick; else out=docs; fi
fi
python3 bench/report.py --results "$results/results.json" --micro "$results/micro.json" --out "$out"

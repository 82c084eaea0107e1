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
#   --only a,b,...    only these setups (keys as in the results file), for development;
#                     renders into build/bench/results/partial/
#   --rev REV         measure a committed revision (git archive REV, built in
#                     build/bench/rev-REV) instead of the working tree
#   --no-install      do not run scripts/install-deps.sh --bench
#   --out DIR         where the rendered report goes (default: see above)
# KMR_BENCH_KEEP_WORK=1 keeps the processes' logs and configurations (kept anyway on errors).
#
# It installs the peers from Debian (haproxy, socat, stunnel4, v2ray-plugin, iperf3,
# gnuplot, Google Benchmark, perf), builds kaminari Release with the bench tools in
# build/bench, runs the microbenchmarks, then bench/suite.py (every tunnel pair on
# 127.0.0.1; raw samples in build/bench/results/results.json, results-quick.json for
# --quick, results-partial.json for --only), then bench/report.py.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
only=0
install=1
rev=""
out=""
suite_args=()
orig_args=("$@")
while (($#)); do
  case "$1" in
    --quick) quick=1; suite_args+=(--quick) ;;
    --rounds|--seconds) suite_args+=("$1" "$2"); shift ;;
    --only) only=1; suite_args+=("$1" "$2"); shift ;;
    --rev) rev=$2; shift ;;
    --out) out=$2; shift ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '3,25p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--rounds N] [--seconds T] [--only a,b] [--rev REV] [--no-install] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

((install)) && bash scripts/install-deps.sh --bench

results=build/bench/results
mkdir -p "$results"
# The full run's raw files feed docs/benchmarks.md; development runs keep their own.
tag=""
if ((quick)); then tag=-quick; elif ((only)); then tag=-partial; fi
raw=$results/results$tag.json
micro=$results/micro$tag.json

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
  --benchmark_out="$micro" --benchmark_out_format=json >"${micro%.json}.txt" 2>&1 ||
  { cat "${micro%.json}.txt" >&2; exit 1; }

# --- the tunnels
command_line="bash bench/run.sh${orig_args[*]:+ ${orig_args[*]}}"
python3 bench/suite.py --bindir "$bindir" --out "$raw" --command "$command_line" \
  ${rev:+--rev-label "$rev"} "${suite_args[@]}"

# --- the report
if [[ -z $out ]]; then
  # Development runs (quick, or only some setups) never overwrite the published page.
  if ((quick)); then out=$results/quick; elif ((only)); then out=$results/partial; else out=docs; fi
fi
python3 bench/report.py --results "$raw" --micro "$micro" --out "$out"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh Debian 12 machine: installs the build and test
# dependencies (real peers included), then builds and runs every test twice (optimised,
# and under ASan+UBSan), then runs each fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${KMR_FUZZ_SECONDS:-20}

bash scripts/install-deps.sh --test

run_suite() {
  local flavour=$1
  echo "=== $flavour: build"
  bash scripts/build.sh "$flavour"
  echo "=== $flavour: tests"
  ctest --test-dir "build/$flavour" --output-on-failure --timeout 600 -j 2
}

run_suite release
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 run_suite asan

echo "=== fuzz: build and run each target for ${fuzz_seconds}s"
bash scripts/build.sh fuzz
for corpus in tests/fuzz/corpus/*/; do
  target=$(basename "$corpus")
  work=$(mktemp -d)
  cp -r "$corpus". "$work/"
  "build/fuzz/tests/fuzz/$target" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$work" \
      2>"build/fuzz/$target.log" || { tail -n 50 "build/fuzz/$target.log"; exit 1; }
  echo "$target: $(grep -o 'Done [0-9]* runs' "build/fuzz/$target.log" || echo 'ran')"
  rm -rf "$work"
done
echo "=== all tests passed"

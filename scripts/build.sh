#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds one flavour into build/<flavour>.
#   scripts/build.sh release    optimised, with tests
#   scripts/build.sh asan       AddressSanitizer + UndefinedBehaviorSanitizer, with tests
#   scripts/build.sh fuzz       libFuzzer targets (clang)
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=${1:-release}
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release -DKMR_BUILD_TESTS="${KMR_BUILD_TESTS:-ON}") ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=Debug -DKMR_SANITIZE=ON -DKMR_BUILD_TESTS=ON) ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DKMR_FUZZ=ON
                 -DKMR_BUILD_TESTS=OFF) ;;
  *) echo "usage: $0 release|asan|fuzz" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
if [[ "$flavour" == fuzz ]]; then
  ninja -C "build/$flavour" kmr_fuzzers
else
  ninja -C "build/$flavour"
fi

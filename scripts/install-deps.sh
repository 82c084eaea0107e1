#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what Kaminari needs from Debian 12's archive.
#   scripts/install-deps.sh          build dependencies only
#   scripts/install-deps.sh --test   also the test peers, sanitizer and fuzzing tools
#   scripts/install-deps.sh --bench  also the benchmark peers and tools (bench/run.sh)
set -euo pipefail

build_packages=(g++ cmake ninja-build pkg-config libboost1.81-dev libssl-dev libfmt-dev openssl)
test_packages=(libgtest-dev googletest clang libclang-rt-14-dev
               shadowsocks-libev curl python3 procps iproute2
               shadowsocks-v2ray-plugin nginx libnginx-mod-stream haproxy socat stunnel4
               dnsmasq bind9-dnsutils systemd strace prometheus)
# bench/run.sh: the peers it measures, the load generator, the plots, Google Benchmark
# and perf for a profile.
bench_packages=(haproxy socat stunnel4 shadowsocks-v2ray-plugin iperf3 gnuplot-nox
                libbenchmark-dev python3 procps openssl linux-perf)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")
[[ "${1:-}" == "--bench" ]] && packages+=("${bench_packages[@]}")

as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts shadowsocks-libev and dnsmasq services on install where an init system
# runs them; the tests start their own instances on free ports and do not need them.

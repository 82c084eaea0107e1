#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop with shadowsocks-libev as a SIP003 host: ss-local and ss-server start kaminaric
# and kaminaris themselves (with SS_* variables and ports they pick), without options
# and with options that both must take up; 16 MiB down and 16 MiB up through the SOCKS5
# port must arrive byte for byte (shadowsocks.sh).
#
# usage: shadowsocks_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs ss-server, ss-local, curl, python3 (scripts/install-deps.sh --test); fails if missing.
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=20
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=shadowsocks.sh
source "$kmr_interop_dir/shadowsocks.sh"

kmr_init ss-interop "$@"
ss_setup

# run_case <options> <tag>: the same plugin options for both ends, as ss-libev users set.
run_case() {
  local opts=$1 tag=$2 name="[$1]"
  ss_transfer "$tag" "$name" "$client_bin" "$opts" "$server_bin" "$opts" || return
  # The plugins really carried the traffic: each printed its banner into ss-libev's log.
  grep -q '^kaminaris ' "$work/ss-server-$tag.log" || fail "case $name: no kaminaris banner in ss-server's log"
  grep -q '^kaminaric ' "$work/ss-local-$tag.log" || fail "case $name: no kaminaric banner in ss-local's log"
  if [[ $opts == *threads=1* ]]; then  # SS_PLUGIN_OPTIONS reached both plugins
    grep -qx 'threads: 1' "$work/ss-server-$tag.log" || fail "case $name: kaminaris ignored the options"
    grep -qx 'threads: 1' "$work/ss-local-$tag.log" || fail "case $name: kaminaric ignored the options"
  fi
  ss_stop
  echo "case $name: OK, 16 MiB down and 16 MiB up, sha256 checked"
}

ss_run_cases run_case "" "threads=1;log=debug"
echo "PASS: shadowsocks-libev interop (${SECONDS}s)"

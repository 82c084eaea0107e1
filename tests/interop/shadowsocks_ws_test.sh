#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shadowsocks-libev as the SIP003 host of the ws layer: ss-local and ss-server start
# kaminaric and kaminaris with --plugin-opts "ws;host=...;path=..." (and once with
# mask=standard, which ss-server passes to kaminaris too: it ignores it), and once
# ss-local starts v2ray-plugin (mux=0) against kaminaris. Through the SOCKS5 port, curl
# downloads 16 MiB and uploads 16 MiB (PUT) to a local HTTP server; both are checked
# with sha256sum.
#
# usage: shadowsocks_ws_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs ss-server, ss-local, ss-v2ray-plugin, curl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=20
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=shadowsocks.sh
source "$kmr_interop_dir/shadowsocks.sh"

kmr_init ss-ws-interop "$@"
ss_setup
v2ray_bin=$(command -v ss-v2ray-plugin || command -v v2ray-plugin || true)
[[ -n $v2ray_bin ]] ||
  fail "neither ss-v2ray-plugin nor v2ray-plugin is installed: install the Debian package 'shadowsocks-v2ray-plugin' (scripts/install-deps.sh --test)"

# run_case <client plugin|client options|server plugin|server options> <tag>
run_case() {
  local c_plugin c_opts s_plugin s_opts tag=$2 name
  IFS='|' read -r c_plugin c_opts s_plugin s_opts <<<"$1"
  name="$(basename "$c_plugin") [$c_opts] -> $(basename "$s_plugin") [$s_opts]"
  ss_transfer "$tag" "$name" "$c_plugin" "$c_opts" "$s_plugin" "$s_opts" || return

  # Our plugins carried it, over WebSocket, with the options ss-libev passed on.
  if [[ $s_plugin == "$server_bin" ]]; then
    grep -qx 'accept: \[ws\]\[plain\]' "$work/ss-server-$tag.log" || fail "case $name: kaminaris did not run the ws layer"
    ! grep -H 'warn: .*mask' "$work/ss-server-$tag.log" || fail "case $name: kaminaris complained about mask"
  fi
  if [[ $c_plugin == "$client_bin" ]]; then
    grep -qx 'connect: \[ws\]\[plain\]' "$work/ss-local-$tag.log" || fail "case $name: kaminaric did not run the ws layer"
    local mask=skip
    [[ $c_opts == *mask=standard* ]] && mask=standard
    grep -qx "mask: $mask" "$work/ss-local-$tag.log" || fail "case $name: kaminaric is not using mask=$mask"
  fi
  ! grep -H 'handshake with .* failed\|upgrade refused\|handshake failed' \
    "$work/ss-local-$tag.log" "$work/ss-server-$tag.log" || fail "case $name: a WebSocket handshake failed"
  ss_stop
  echo "case $name: OK, 16 MiB down and 16 MiB up, sha256 checked"
}

# Each case: client plugin, its options, server plugin, its options. ss-libev passes the
# same string to both in the usual set-up; kaminaris ignores mask (client-only).
ws="ws;host=example.com;path=/ws"
cases=(
  "$client_bin|$ws|$server_bin|$ws"
  "$client_bin|$ws;mask=standard;log=debug|$server_bin|$ws;mask=standard;log=debug"
  # A v2ray-plugin client (as on phones) with kaminaris as the server.
  "$v2ray_bin|mux=0;host=example.com;path=/ws|$server_bin|$ws;log=debug"
)
ss_run_cases run_case "${cases[@]}"
echo "PASS: shadowsocks-libev with the ws layer (${SECONDS}s)"

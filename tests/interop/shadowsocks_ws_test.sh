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

budget_seconds=60  # read by lib.sh
ready_seconds=20
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly method=chacha20-ietf-poly1305
readonly password=kaminari-interop-test

kmr_init ss-ws-interop "$@"
need_tool ss-server shadowsocks-libev
need_tool ss-local shadowsocks-libev
need_tool curl curl
v2ray_bin=$(command -v ss-v2ray-plugin || command -v v2ray-plugin || true)
[[ -n $v2ray_bin ]] ||
  fail "neither ss-v2ray-plugin nor v2ray-plugin is installed: install the Debian package 'shadowsocks-v2ray-plugin' (scripts/install-deps.sh --test)"
echo "peer: $(ss-server -h 2>&1 | grep -m1 -i 'shadowsocks-libev' || echo ss-server)$(dpkg-query -W -f=' (Debian ${Version})' shadowsocks-libev 2>/dev/null || true)"

# --- the origin: an HTTP server with GET (the 16 MiB download) and PUT (uploads)
mkdir -p "$work/www"
cp "$work/down.src" "$work/www/file"
kmr_start http python3 "$kmr_peer_py" http --port-file "$work/http.port" --dir "$work/www"
wait_file "$last_pid" "$work/http.port" "the HTTP server (tcp_peer.py http)"
http_port=$(<"$work/http.port")

# run_case <client plugin> <client options> <server plugin> <server options> <tag>: starts
# ss-server and ss-local with the plugins, downloads and uploads through SOCKS5. Returns 3
# if a process died early (a port taken between free_port and bind): the caller retries
# with new ports.
run_case() {
  local c_plugin=$1 c_opts=$2 s_plugin=$3 s_opts=$4 tag=$5 ss_port socks_port server_pid local_pid deadline got
  local name
  name="$(basename "$c_plugin") [$c_opts] -> $(basename "$s_plugin") [$s_opts]"
  ss_port=$(free_port)
  socks_port=$(free_port)
  echo "case $name: ss-server on 127.0.0.1:$ss_port, ss-local SOCKS on 127.0.0.1:$socks_port"

  kmr_start "ss-server-$tag" ss-server -s 127.0.0.1 -p "$ss_port" -k "$password" -m "$method" -v \
    --plugin "$s_plugin" --plugin-opts "$s_opts"
  server_pid=$last_pid
  kmr_start "ss-local-$tag" ss-local -s 127.0.0.1 -p "$ss_port" -b 127.0.0.1 -l "$socks_port" \
    -k "$password" -m "$method" -v --plugin "$c_plugin" --plugin-opts "$c_opts"
  local_pid=$last_pid

  # Download, retried until the whole chain is up.
  rm -f "$work/got-$tag"
  deadline=$((SECONDS + ready_seconds))
  until curl -sS --fail --max-time 15 --socks5-hostname "127.0.0.1:$socks_port" \
    "http://127.0.0.1:$http_port/file" -o "$work/got-$tag" 2>>"$work/curl-$tag.log"; do
    kill -0 "$server_pid" 2>/dev/null && kill -0 "$local_pid" 2>/dev/null || return 3
    ((SECONDS < deadline)) || fail "case $name: no successful download within ${ready_seconds}s"
    sleep 0.2
  done
  got=$(sha256sum <"$work/got-$tag" | cut -d' ' -f1)
  [[ $got == "$down_sha" ]] ||
    fail "case $name: download corrupted ($(stat -c %s "$work/got-$tag") bytes, sha256 $got, want $down_sha)"
  rm -f "$work/got-$tag"

  # Upload: the chain is up now, so one attempt.
  curl -sS --fail --max-time 20 --socks5-hostname "127.0.0.1:$socks_port" -H 'Expect:' \
    -T "$work/up.src" "http://127.0.0.1:$http_port/up-$tag" -o /dev/null 2>>"$work/curl-$tag.log" ||
    fail "case $name: the 16 MiB upload failed (see curl-$tag.log)"
  got=$(sha256sum <"$work/www/up-$tag" | cut -d' ' -f1)
  [[ $got == "$up_sha" ]] ||
    fail "case $name: upload corrupted ($(stat -c %s "$work/www/up-$tag") bytes, sha256 $got, want $up_sha)"
  rm -f "$work/www/up-$tag"

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

  stop_pid "$local_pid"
  stop_pid "$server_pid"
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
for i in "${!cases[@]}"; do
  IFS='|' read -r c_plugin c_opts s_plugin s_opts <<<"${cases[$i]}"
  for attempt in 1 2 3; do
    check_budget
    status=0
    run_case "$c_plugin" "$c_opts" "$s_plugin" "$s_opts" "$i-$attempt" || status=$?
    [[ $status -eq 0 ]] && break
    [[ $status -eq 3 && $attempt -lt 3 ]] || fail "case $i: ss-server or ss-local exited early"
    echo "case $i: a process exited early (port collision?), retrying"
  done
done
check_budget
echo "PASS: shadowsocks-libev with the ws layer (${SECONDS}s)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kaminaric -> nginx (WebSocket reverse proxy) -> kaminaris -> far end, on loopback.
# nginx runs in the foreground as this user (root included) with its own prefix in a temp
# dir and the server block of tests/interop/nginx-ws.conf.template, the configuration
# docs/behind-nginx.md shows (the test fails if the two differ). Checks:
#   - 16 MiB each way at once, sha256-checked, for mask=skip, standard and fixed;
#   - an end of stream through nginx, each way: the 16 MiB before it arrive intact and
#     nothing hangs (nginx then closes both directions, so no half-close through it);
#     without nginx, kaminaric -> kaminaris carries the half-close end to end;
#   - refused requests through nginx: kaminaris's own 404 (wrong path, wrong host) and
#     426 (no upgrade) reach the client, and are not nginx's pages.
#
# usage: nginx_ws_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs nginx, curl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=nginx.sh
source "$kmr_interop_dir/nginx.sh"

readonly ws_host=example.com
readonly ws_path=/ws
readonly template="$kmr_interop_dir/nginx-ws.conf.template"

kmr_init nginx-interop "$@"
need_tool curl curl
nginx_setup
nginx_check_doc "$template"

start_far_end

start_kaminaris "ws;host=$ws_host;path=$ws_path;log=debug;threads=2"

start_nginx nginx "$template" "" "" "s|@SERVER_NAME@|$ws_host|g" "s|@WS_PATH@|$ws_path|g" \
  "s|@KAMINARIS@|127.0.0.1:$kaminaris_port|g"
echo "kaminaric -> nginx 127.0.0.1:$nginx_port -> kaminaris 127.0.0.1:$kaminaris_port -> far end $far_port"

# --- refused requests: kaminaris's answer, forwarded by nginx
# expect_refusal <label> <want status> <want kaminaris log reason> <curl args...>
expect_refusal() {
  local label=$1 want=$2 reason=$3 out="$work/curl-refusal.out" status_line body
  shift 3
  curl -sS -i --max-time 5 "$@" -o "$out" 2>>"$work/curl.log" || fail "$label: curl failed (see curl.log)"
  status_line=$(head -n1 "$out" | tr -d '\r')
  [[ $status_line == "HTTP/1.1 $want "* ]] || fail "$label: got '$status_line', want $want"
  # kaminaris's error page is one text/plain line; nginx's own would be HTML.
  body=$(sed -n '/^\r\{0,1\}$/,$p' "$out" | tail -n +2)
  [[ $body == "$want "* && $body != *nginx* ]] ||
    fail "$label: the body is not kaminaris's error page: $(cat "$out")"
  grep -qi '^content-type: text/plain' "$out" || fail "$label: not kaminaris's text/plain page: $(cat "$out")"
  grep -q "$reason" "$work/kaminaris.log" || fail "$label: kaminaris did not log '$reason'"
  echo "$label: '$status_line' from kaminaris through nginx"
}
expect_refusal "wrong path" 404 "404 wrong path" -H "Host: $ws_host" "http://127.0.0.1:$nginx_port$ws_path/nope"
expect_refusal "wrong host" 404 "404 wrong host" -H "Host: wrong.example" "http://127.0.0.1:$nginx_port$ws_path"
expect_refusal "no upgrade" 426 "426 no websocket in Upgrade" -H "Host: $ws_host" "http://127.0.0.1:$nginx_port$ws_path"

# --- tunnels through nginx
for mask in skip standard fixed; do
  check_budget
  log="kaminaric-$mask"
  kmr_start "$log" "$client_bin" 127.0.0.1:0 "127.0.0.1:$nginx_port" \
    "ws;host=$ws_host;path=$ws_path;mask=$mask;log=debug;threads=2"
  kaminaric_pid=$last_pid
  kaminaric_port=$(wait_listen "$kaminaric_pid" "$log")
  duplex_check "kaminaric mask=$mask via nginx" "$kaminaric_port"
  if [[ $mask == skip ]]; then
    # nginx ends an upgraded connection as a whole once either side has ended
    # (ngx_http_upstream_process_upgraded), so the answer after a half-close may not
    # come back through it; everything sent before the end must.
    halfclose_check "kaminaric mask=$mask via nginx, 16 MiB up then end of stream" "$kaminaric_port" answer-optional
    download_check "kaminaric mask=$mask via nginx, 16 MiB down then end of stream" "$kaminaric_port"
  fi
  stop_pid "$kaminaric_pid"
done

# The baseline without nginx: kaminaric -> kaminaris carries a half-close end to end.
check_budget
kmr_start kaminaric-direct "$client_bin" 127.0.0.1:0 "127.0.0.1:$kaminaris_port" \
  "ws;host=$ws_host;path=$ws_path;log=debug;threads=2"
kaminaric_pid=$last_pid
kaminaric_port=$(wait_listen "$kaminaric_pid" kaminaric-direct)
halfclose_check "kaminaric -> kaminaris without nginx, half-close" "$kaminaric_port"
stop_pid "$kaminaric_pid"

! grep -H 'handshake with .* failed' "$work"/kaminaric-*.log || fail "a kaminaric handshake failed"
kill -0 "$nginx_pid" 2>/dev/null || fail "nginx died"
kill -0 "$kaminaris_pid" 2>/dev/null || fail "kaminaris died"
check_budget
echo "PASS: kaminaric -> nginx -> kaminaris (${SECONDS}s)"

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

budget_seconds=60  # read by lib.sh
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly ws_host=example.com
readonly ws_path=/ws
readonly template="$kmr_interop_dir/nginx-ws.conf.template"
readonly doc="$kmr_interop_dir/../../docs/behind-nginx.md"

kmr_init nginx-interop "$@"
need_tool curl curl
nginx_bin=$(command -v nginx || true)
[[ -n $nginx_bin ]] || nginx_bin=/usr/sbin/nginx  # /usr/sbin may not be in PATH
[[ -x $nginx_bin ]] || fail "nginx is missing: install the Debian package 'nginx' (scripts/install-deps.sh --test)"
echo "peer: $("$nginx_bin" -v 2>&1)$(dpkg-query -W -f=' (Debian ${Version})' nginx 2>/dev/null || true)"

# The documented configuration is the tested one.
[[ -f $template ]] || fail "missing $template"
[[ -f $doc ]] || fail "missing $doc"
python3 - "$template" "$doc" <<'EOF' || fail "docs/behind-nginx.md does not contain nginx-ws.conf.template verbatim: update the doc"
import sys
template, doc = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
sys.exit(0 if template in doc else 1)
EOF

start_far_end

kmr_start kaminaris "$server_bin" 127.0.0.1:0 "127.0.0.1:$far_port" \
  "ws;host=$ws_host;path=$ws_path;log=debug;threads=2"
kaminaris_pid=$last_pid
kaminaris_port=$(wait_listen "$kaminaris_pid" kaminaris)

# start_nginx: renders the template into a private prefix and starts nginx on a free
# port (retried on a port collision). Sets nginx_port and nginx_pid.
start_nginx() {
  local attempt status prefix="$work/nginx" user_line=""
  mkdir -p "$prefix"
  # As root, nginx's workers would switch to "nobody", who cannot enter the private temp
  # dir; keep them as root there. As any other user the directive would only warn.
  [[ $(id -u) -eq 0 ]] && user_line="user root;"
  for attempt in 1 2 3; do
    nginx_port=$(free_port)
    sed -e "s|@LISTEN@|127.0.0.1:$nginx_port|g" -e "s|@SERVER_NAME@|$ws_host|g" \
      -e "s|@WS_PATH@|$ws_path|g" -e "s|@KAMINARIS@|127.0.0.1:$kaminaris_port|g" \
      "$template" >"$prefix/kaminari.conf"
    ! grep -n '@[A-Z_]*@' "$prefix/kaminari.conf" || fail "a placeholder was left in the rendered config"
    cat >"$prefix/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $prefix/nginx.pid;
error_log stderr info;
events { worker_connections 256; }
http {
    access_log $prefix/access.log;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    include $prefix/kaminari.conf;
}
EOF
    "$nginx_bin" -t -q -e stderr -p "$prefix" -c "$prefix/nginx.conf" >"$work/nginx-t.log" 2>&1 ||
      fail "nginx rejects the rendered configuration (see nginx-t.log)"
    kmr_start "nginx-$attempt" "$nginx_bin" -e stderr -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;'
    nginx_pid=$last_pid
    status=0
    wait_port "$nginx_pid" "$nginx_port" nginx || status=$?
    [[ $status -eq 0 ]] && return 0
    echo "nginx exited early (port collision?), retrying" >&2
  done
  fail "nginx did not start (see nginx-*.log)"
}
start_nginx
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

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The client's address between kaminari and a real nginx (Debian's), on loopback. The
# application always connects from 127.0.0.9, an address no hop has, and every check is
# on the address that arrives:
#   (a) kaminaris proxy-protocol=v1 and v2 -> nginx `listen ... proxy_protocol` (the
#       server block of tests/interop/nginx-proxy-protocol.conf.template, with realip):
#       curl --interface 127.0.0.9 -> kaminaric (tcp, then wss; proxy-protocol=v2) ->
#       kaminaris (accept-proxy;trusted=127.0.0.1) -> nginx. nginx's
#       $proxy_protocol_addr:$proxy_protocol_port and $remote_addr, in its answer and in
#       its access log, are curl's; $proxy_protocol_server_addr:port is the address curl
#       connected to; the connection itself came from 127.0.0.1 ($realip_remote_addr).
#   (b) nginx in front of kaminaris ws with X-Forwarded-For
#       (tests/interop/nginx-xff.conf.template): a WebSocket client (proxy_peer.py ws)
#       from 127.0.0.9 -> nginx -> kaminaris (ws;trusted=127.0.0.1;proxy-protocol=v1) ->
#       a capture server, which must get "PROXY TCP4 127.0.0.9 ..." then the payload
#       (echoed back through the tunnel), also when the client sent an X-Forwarded-For of
#       its own (a spoof: the right-most untrusted address wins). With trusted=127.0.0.2
#       (nginx not trusted) the header names nginx, 127.0.0.1, instead.
#
# usage: nginx_proxy_protocol_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs nginx, curl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=90  # read by lib.sh (typically 20-30 s)
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=nginx.sh
source "$kmr_interop_dir/nginx.sh"
# shellcheck source=proxy_peer.sh
source "$kmr_interop_dir/proxy_peer.sh"

kmr_init nginx-proxy-protocol "$@"
need_tool curl curl
nginx_setup
readonly lb_doc="$kmr_interop_dir/../../docs/behind-a-load-balancer.md"
nginx_check_doc "$kmr_interop_dir/nginx-proxy-protocol.conf.template" "$lb_doc"
nginx_check_doc "$kmr_interop_dir/nginx-xff.conf.template" "$lb_doc"

readonly accepting="accept-proxy;trusted=127.0.0.1;log-connections"

# start_server <log name> <remote port> <options>: sets server_port.
start_server() {
  kmr_start "$1" "$server_bin" 127.0.0.1:0 "127.0.0.1:$2" "$3"
  server_port=$(wait_listen "$last_pid" "$1")
}
# start_client <log name> <remote port> <options>: sets client_port.
start_client() {
  kmr_start "$1" "$client_bin" 127.0.0.1:0 "127.0.0.1:$2" "$3"
  client_port=$(wait_listen "$last_pid" "$1")
}

# --- (a) kaminaris -> nginx listen ... proxy_protocol
start_nginx nginx-pp "$kmr_interop_dir/nginx-proxy-protocol.conf.template" "" "" \
  "s|@KAMINARIS@|127.0.0.1|g" "s|@ACCESS_LOG@|$work/pp-access.log|g"
pp_port=$nginx_port
pp_pid=$nginx_pid

# curl_through <label> <port>: one request from 127.0.0.9 through kaminaric on <port>.
curl_through() {
  local label=$1 port=$2 out from body deadline want
  out=$(curl -sS --max-time 5 --interface 127.0.0.9 -w '%{local_ip}:%{local_port}\n' \
    "http://127.0.0.1:$port/$label" 2>>"$work/curl.log") || fail "$label: curl failed (see curl.log)"
  body=$(head -n1 <<<"$out")
  from=$(tail -n1 <<<"$out")
  [[ $from == 127.0.0.9:* ]] || fail "$label: curl did not connect from 127.0.0.9 ($from)"
  [[ $body == "client=$from remote_addr=${from%:*}" ]] || fail "$label: nginx answered '$body', want client=$from"
  want="$from server=127.0.0.1:$port remote_addr=${from%:*} via=127.0.0.1 \"GET /$label HTTP/1.1\" 200"
  deadline=$((SECONDS + 5))
  until grep -qxF "$want" "$work/pp-access.log" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "$label: nginx's access log has no line '$want' (see pp-access.log)"
    sleep 0.05
  done
  echo "$label: nginx logged '$want'"
}

start_server kaminaris-v1 "$pp_port" "$accepting;proxy-protocol=v1"
start_client kaminaric-tcp "$server_port" "proxy-protocol=v2"
curl_through curl-kaminaric-tcp-kaminaris-v1-nginx "$client_port"

ws="ws;host=example.com;path=/pp"
start_server kaminaris-v2 "$pp_port" "$ws;tls;servername=example.com;$accepting;proxy-protocol=v2"
start_client kaminaric-wss "$server_port" "$ws;tls;sni=example.com;insecure;proxy-protocol=v2"
curl_through curl-kaminaric-wss-kaminaris-v2-nginx "$client_port"

# --- (b) nginx (X-Forwarded-For) -> kaminaris ws
check_budget
start_capture capture
readonly ws_host=example.com ws_path=/t
start_server kaminaris-xff "$capture_port" "ws;host=$ws_host;path=$ws_path;trusted=127.0.0.1;proxy-protocol=v1;log-connections"
xff_server_port=$server_port
start_server kaminaris-untrusting "$capture_port" "ws;host=$ws_host;path=$ws_path;trusted=127.0.0.2;proxy-protocol=v1"
untrusting_port=$server_port

xff_template="$kmr_interop_dir/nginx-xff.conf.template"
start_nginx nginx-xff "$xff_template" "" "" "s|@SERVER_NAME@|$ws_host|g" "s|@WS_PATH@|$ws_path|g" \
  "s|@KAMINARIS@|127.0.0.1:$xff_server_port|g"
xff_port=$nginx_port
start_nginx nginx-untrusted "$xff_template" "" "" "s|@SERVER_NAME@|$ws_host|g" "s|@WS_PATH@|$ws_path|g" \
  "s|@KAMINARIS@|127.0.0.1:$untrusting_port|g"
untrusted_nginx_port=$nginx_port

# ws_through <tag> <nginx port> [extra request header]: prints where the client came from.
ws_through() {
  local extra=()
  [[ -n ${3:-} ]] && extra=(--header "$3")
  python3 "$proxy_peer_py" ws 127.0.0.1 "$2" --source 127.0.0.9 --host "$ws_host" --path "$ws_path" \
    --tag "$1" "${extra[@]}" 2>>"$work/ws.log" || fail "$1: the WebSocket client failed (see ws.log)"
}
# expect_header <tag> <regex> <what>
expect_header() {
  local got
  got=$(captured capture "$1")
  [[ $got =~ $2 ]] || fail "$3: the remote got '${got:-nothing}', want /$2/"
  echo "$3: the remote got '$got'"
}

from=$(ws_through xff "$xff_port")
expect_header xff "^PROXY TCP4 127\.0\.0\.9 127\.0\.0\.1 0 $xff_server_port$" \
  "ws client $from -> nginx (X-Forwarded-For) -> kaminaris trusted=127.0.0.1"
grep -q 'connection ended .*peer=127\.0\.0\.9' "$work/kaminaris-xff.log" ||
  fail "kaminaris's log-connections line does not name 127.0.0.9"

from=$(ws_through spoofed "$xff_port" "X-Forwarded-For: 198.51.100.7")
expect_header spoofed "^PROXY TCP4 127\.0\.0\.9 127\.0\.0\.1 0 $xff_server_port$" \
  "ws client $from sending X-Forwarded-For: 198.51.100.7 -> nginx -> kaminaris trusted=127.0.0.1"

from=$(ws_through untrusted "$untrusted_nginx_port")
expect_header untrusted "^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ $untrusting_port$" \
  "ws client $from -> nginx -> kaminaris trusted=127.0.0.2 (nginx not trusted): nginx's own address"

kill -0 "$pp_pid" 2>/dev/null || fail "nginx (proxy_protocol) died"
! grep -h 'refused (accept-proxy)' "$work"/kaminaris-*.log || fail "a kaminaris refused a PROXY header"
check_budget
echo "PASS: nginx <-> kaminari client address: PROXY v1/v2 into nginx, X-Forwarded-For out of it (${SECONDS}s)"

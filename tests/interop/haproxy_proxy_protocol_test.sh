#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The PROXY protocol between kaminari and a real haproxy (Debian's), both ways, on
# loopback. The application always connects from 127.0.0.9 (bound before connecting), an
# address no hop has, and every check is on the address that arrives, not only on bytes:
#   (a) haproxy (mode tcp) in front of kaminaris: `server ... send-proxy` and
#       `send-proxy-v2`; kaminaris `accept-proxy;trusted=127.0.0.1;proxy-protocol=v1`
#       tells its remote (proxy_peer.py capture) the application's address and port, and
#       logs it (log-connections peer=). Plain TCP: application -> haproxy -> kaminaris.
#       TLS passed through haproxy: application -> kaminaric (tls, proxy-protocol=v2) ->
#       haproxy (bind accept-proxy, so it learns the client from kaminaric) -> kaminaris
#       (tls). A peer outside trusted= is refused with the documented warning.
#   (b) kaminaris `proxy-protocol=v1` and `v2` in front of haproxy (mode http, bind
#       accept-proxy): haproxy's own view of the client (%[src]:%[src_port] in a request
#       header that an HTTP capture server records, and %ci:%cp %fi:%fp in its log) is
#       curl's address and port (curl --interface 127.0.0.9), and the destination is the
#       address curl connected to (kaminaric's listener).
#
# usage: haproxy_proxy_protocol_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs haproxy, curl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=90  # read by lib.sh (typically 20-30 s)
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=haproxy.sh
source "$kmr_interop_dir/haproxy.sh"
# shellcheck source=proxy_peer.sh
source "$kmr_interop_dir/proxy_peer.sh"

kmr_init haproxy-proxy-protocol "$@"
need_tool curl curl
haproxy_setup

readonly tls_server="tls;servername=example.com"
readonly tls_client="tls;sni=example.com;insecure"
readonly accepting="accept-proxy;trusted=127.0.0.1;log-connections"

start_capture capture
start_http_capture http-capture

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

start_server kaminaris-plain "$capture_port" "$accepting;proxy-protocol=v1"
plain_port=$server_port
start_server kaminaris-tls "$capture_port" "$tls_server;$accepting;proxy-protocol=v1"
tls_port=$server_port

# Ports: 0 plain send-proxy, 1 plain send-proxy-v2, 2 tls send-proxy, 3 tls send-proxy-v2
# (both tls frontends with accept-proxy), 4 http with accept-proxy.
haproxy_config() {
  haproxy_global
  cat <<EOF
frontend plain_v1
    bind 127.0.0.1:${haproxy_ports[0]}
    default_backend kaminaris_plain_v1
backend kaminaris_plain_v1
    server kaminaris 127.0.0.1:$plain_port send-proxy

frontend plain_v2
    bind 127.0.0.1:${haproxy_ports[1]}
    default_backend kaminaris_plain_v2
backend kaminaris_plain_v2
    server kaminaris 127.0.0.1:$plain_port send-proxy-v2

frontend tls_v1
    bind 127.0.0.1:${haproxy_ports[2]} accept-proxy
    default_backend kaminaris_tls_v1
backend kaminaris_tls_v1
    server kaminaris 127.0.0.1:$tls_port send-proxy

frontend tls_v2
    bind 127.0.0.1:${haproxy_ports[3]} accept-proxy
    default_backend kaminaris_tls_v2
backend kaminaris_tls_v2
    server kaminaris 127.0.0.1:$tls_port send-proxy-v2

frontend http
    mode http
    bind 127.0.0.1:${haproxy_ports[4]} accept-proxy
    log-format "http client=%ci:%cp frontend=%fi:%fp %HM %HU %ST"
    http-request set-header X-Client %[src]:%[src_port]
    default_backend http_capture
backend http_capture
    mode http
    server capture 127.0.0.1:$http_capture_port
EOF
}
start_haproxy haproxy 5 haproxy_config
echo "haproxy: plain ${haproxy_ports[0]} (send-proxy), ${haproxy_ports[1]} (send-proxy-v2) -> kaminaris $plain_port;" \
  "tls ${haproxy_ports[2]}, ${haproxy_ports[3]} -> kaminaris $tls_port; http ${haproxy_ports[4]}; capture $capture_port"

# expect_header <tag> <want header> <what>
expect_header() {
  local got
  got=$(captured capture "$1")
  [[ $got == "$2" ]] || fail "$3: the remote got '${got:-nothing}', want '$2'"
  echo "$3: the remote got '$got'"
}
# expect_peer_logged <kaminaris log name> <address:port>: its log-connections line.
expect_peer_logged() {
  local deadline=$((SECONDS + 5))
  until grep -q "connection ended .*peer=$2 " "$work/$1.log"; do
    ((SECONDS < deadline)) || fail "$1 logged no finished connection with peer=$2"
    sleep 0.05
  done
}

# --- (a) haproxy -> kaminaris, plain TCP
for i in 0 1; do
  version=$((i + 1))
  send="send-proxy"
  ((version == 2)) && send="send-proxy-v2"
  front=${haproxy_ports[i]}
  from=$(app_connect "$front" "plain-v$version")
  expect_header "plain-v$version" "PROXY TCP4 ${from%:*} 127.0.0.1 ${from#*:} $front" \
    "haproxy $send -> kaminaris (tcp), application $from"
  expect_peer_logged kaminaris-plain "$from"
done

# --- (a) kaminaric (tls) -> haproxy (TLS passed through) -> kaminaris (tls)
for i in 2 3; do
  version=$((i - 1))
  send="send-proxy"
  ((version == 2)) && send="send-proxy-v2"
  start_client "kaminaric-tls-v$version" "${haproxy_ports[i]}" "$tls_client;proxy-protocol=v2"
  from=$(app_connect "$client_port" "tls-v$version")
  expect_header "tls-v$version" "PROXY TCP4 ${from%:*} 127.0.0.1 ${from#*:} $client_port" \
    "kaminaric (tls, v2) -> haproxy accept-proxy, $send -> kaminaris (tls), application $from"
  expect_peer_logged kaminaris-tls "$from"
done

# A peer outside trusted= (the application itself, straight to kaminaris) is refused.
! python3 "$proxy_peer_py" clients 127.0.0.1 "$plain_port" --source 127.0.0.9 --tag untrusted \
  >/dev/null 2>>"$work/clients.log" || fail "kaminaris relayed a connection from outside trusted="
grep -q 'refused (accept-proxy): not in trusted=' "$work/kaminaris-plain.log" ||
  fail "kaminaris did not warn about the peer outside trusted="
[[ -z $(captured capture untrusted) ]] || fail "the refused connection reached the remote"
echo "a connection from 127.0.0.9 straight to kaminaris (trusted=127.0.0.1): refused, with the warning"

# --- (b) kaminaris -> haproxy (mode http, accept-proxy)
check_budget
# curl_through <label> <port>: one request from 127.0.0.9; haproxy must see curl's address.
curl_through() {
  local label=$1 port=$2 out from body deadline
  out=$(curl -sS --max-time 5 --interface 127.0.0.9 -w '\n%{local_ip}:%{local_port}\n' \
    "http://127.0.0.1:$port/$label" 2>>"$work/curl.log") || fail "$label: curl failed (see curl.log)"
  body=$(head -n1 <<<"$out")
  from=$(tail -n1 <<<"$out")
  [[ $from == 127.0.0.9:* ]] || fail "$label: curl did not connect from 127.0.0.9 ($from)"
  [[ $body == "x-client=$from" ]] || fail "$label: haproxy's %[src]:%[src_port] is '${body#x-client=}', want $from"
  deadline=$((SECONDS + 5))
  until grep -q "^http client=$from frontend=127.0.0.1:$port GET /$label 200" "$haproxy_log"; do
    ((SECONDS < deadline)) || fail "$label: haproxy logged no request with client=$from frontend=127.0.0.1:$port"
    sleep 0.05
  done
  echo "$label: haproxy saw client=$from frontend=127.0.0.1:$port (curl's address, and the one it connected to)"
}

http_front=${haproxy_ports[4]}
start_server kaminaris-v1 "$http_front" "$accepting;proxy-protocol=v1"
start_client kaminaric-v1 "$server_port" "proxy-protocol=v2"
curl_through "curl-kaminaric-tcp-kaminaris-v1-haproxy" "$client_port"

ws="ws;host=example.com;path=/pp"
start_server kaminaris-v2 "$http_front" "$ws;$tls_server;$accepting;proxy-protocol=v2"
start_client kaminaric-v2 "$server_port" "$ws;$tls_client;proxy-protocol=v2"
curl_through "curl-kaminaric-wss-kaminaris-v2-haproxy" "$client_port"

! grep -h 'refused (accept-proxy)' "$work"/kaminaris-{tls,v1,v2}.log || fail "a kaminaris refused a PROXY header"
! grep -iE '\[(ALERT|WARNING)\]' "$haproxy_log" || fail "haproxy warned (see its log)"
kill -0 "$haproxy_pid" 2>/dev/null || fail "haproxy died"
check_budget
echo "PASS: haproxy <-> kaminari PROXY protocol v1 and v2 (${SECONDS}s)"

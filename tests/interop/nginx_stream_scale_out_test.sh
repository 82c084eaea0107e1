#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scale-out behind a real nginx stream proxy (Debian's nginx with libnginx-mod-stream),
# on loopback: two kaminaris (tls, the test certificate,
# accept-proxy;trusted=127.0.0.1;proxy-protocol=v1) in one upstream with passive health
# (max_fails, fail_timeout), nginx `listen ... proxy_protocol` with realip and
# `proxy_protocol on` (the server block of tests/interop/nginx-stream.conf.template).
#   application (127.0.0.9) -> kaminaric (tls, proxy-protocol=v2) -> nginx stream ->
#   kaminaris 1 or 2 -> capture server (echo).
# Checks:
#   - 200 connections, one after the other, each echo-checked with a per-connection
#     timeout: none fails, each one's PROXY header at the remote names the application's
#     address and port, both kaminaris served some (log-connections peer=127.0.0.9), and
#     nginx's access log names 127.0.0.9 too ($remote_addr, through realip);
#   - kill -9 of kaminaris 1 (by PID), then at once 200 more connections: none fails
#     (nginx tries the next server when a connect is refused, proxy_next_upstream), all on
#     kaminaris 2; nginx's refused connects to the dead one are counted (max_fails=1 then
#     keeps it aside for fail_timeout).
#
# usage: nginx_stream_scale_out_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs nginx and libnginx-mod-stream, openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=90  # read by lib.sh (typically 20-30 s)
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"
# shellcheck source=nginx.sh
source "$kmr_interop_dir/nginx.sh"
# shellcheck source=proxy_peer.sh
source "$kmr_interop_dir/proxy_peer.sh"

readonly batch=200
readonly stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
readonly template="$kmr_interop_dir/nginx-stream.conf.template"

kmr_init nginx-stream-scale-out "$@"
nginx_setup
nginx_check_doc "$template" "$kmr_interop_dir/../../docs/behind-a-load-balancer.md"
[[ -f $stream_module ]] ||
  fail "nginx's stream module is missing: install the Debian package 'libnginx-mod-stream' (scripts/install-deps.sh --test)"
pki="$work/pki"
kmr_make_pki "$pki"
start_capture capture

server_options="tls;cert=$pki/leaf-chain.pem;key=$pki/leaf.key;accept-proxy;trusted=127.0.0.1"
server_options+=";proxy-protocol=v1;log-connections;threads=2"
server_pids=()
server_ports=()
for i in 1 2; do
  kmr_start "kaminaris-$i" "$server_bin" 127.0.0.1:0 "127.0.0.1:$capture_port" "$server_options"
  server_pids+=("$last_pid")
  server_ports+=("$(wait_listen "$last_pid" "kaminaris-$i")")
done

# stream_conf <name> <prefix> <port>: nginx.conf with the stream template (nginx_launch).
stream_conf() {
  local prefix=$2 port=$3
  sed -e "s|@LISTEN@|127.0.0.1:$port|g" -e "s|@KAMINARIS_1@|127.0.0.1:${server_ports[0]}|g" \
    -e "s|@KAMINARIS_2@|127.0.0.1:${server_ports[1]}|g" -e "s|@BALANCER@|127.0.0.1|g" \
    -e "s|@ACCESS_LOG@|$work/stream-access.log|g" "$template" >"$prefix/stream.conf"
  ! grep -n '@[A-Z_0-9]*@' "$prefix/stream.conf" >&2 || fail "a placeholder was left in the rendered config"
  echo "load_module $stream_module;"
  nginx_main_conf "$prefix"
  echo "stream { include $prefix/stream.conf; }"
}
[[ -f $template ]] || fail "missing $template"
nginx_launch nginx "" stream_conf
front=$nginx_port

kmr_start kaminaric "$client_bin" 127.0.0.1:0 "127.0.0.1:$front" \
  "tls;sni=example.com;ca=$pki/ca.crt;proxy-protocol=v2;threads=2"
client_port=$(wait_listen "$last_pid" kaminaric)
echo "application 127.0.0.9 -> kaminaric $client_port -> nginx stream $front -> kaminaris ${server_ports[*]} -> capture $capture_port"

# served <i>: how many connections from the application kaminaris <i> has logged.
served() { grep -c 'connection ended .*peer=127\.0\.0\.9:' "$work/kaminaris-$1.log" || true; }
# wait_served <total>: until the two kaminaris have logged <total> together.
wait_served() {
  local deadline=$((SECONDS + 10))
  until (($(served 1) + $(served 2) >= $1)); do
    ((SECONDS < deadline)) || fail "the kaminaris logged $(($(served 1) + $(served 2))) connections, want $1"
    sleep 0.1
  done
}
# run_batch <tag>: $batch connections from 127.0.0.9, each echo- and PROXY-checked.
run_batch() {
  local out started=$SECONDS
  out=$(python3 "$proxy_peer_py" --timeout 5 clients 127.0.0.1 "$client_port" --source 127.0.0.9 --tag "$1" \
    --count "$batch" --check "$work/capture.txt" --budget 40 2>>"$work/clients.log" | tail -n1) ||
    fail "$1: $(tail -n1 <<<"$out"), see clients.log"
  [[ $out == "ok=$batch failed=0" ]] || fail "$1: $out"
  echo "$1: $out, each one's PROXY header naming its 127.0.0.9 port ($((SECONDS - started))s)"
}

run_batch both-up
wait_served "$batch"
first=("$(served 1)" "$(served 2)")
echo "both up: kaminaris 1 served ${first[0]}, kaminaris 2 served ${first[1]}"
((first[0] > 0 && first[1] > 0)) || fail "nginx did not use both kaminaris"
((first[0] + first[1] == batch)) || fail "the kaminaris logged $((first[0] + first[1])) connections, want $batch"
# nginx_logged: its access log lines for a session of the application (a line is
# written when a session ends).
nginx_logged() { grep -c '^127\.0\.0\.9:[0-9]* via=127\.0\.0\.1 upstream=' "$work/stream-access.log" || true; }
deadline=$((SECONDS + 10))
until (($(nginx_logged) >= batch)); do
  ((SECONDS < deadline)) || fail "nginx's access log names 127.0.0.9 in $(nginx_logged) lines, want $batch"
  sleep 0.1
done
echo "nginx's access log: $(nginx_logged) sessions from 127.0.0.9 (the TCP peer 127.0.0.1, realip from the PROXY header)"

check_budget
kill -KILL "${server_pids[0]}"
wait "${server_pids[0]}" 2>/dev/null || true
echo "kaminaris 1 (PID ${server_pids[0]}) killed with SIGKILL; the next batch starts at once"

run_batch one-down
wait_served $((2 * batch))
echo "one down: kaminaris 1 served $(($(served 1) - first[0])), kaminaris 2 served $(($(served 2) - first[1]))"
(($(served 1) == first[0])) || fail "kaminaris 1 is dead but logged more"
(($(served 2) == first[1] + batch)) || fail "kaminaris 2 did not serve the whole second batch"
refused=$(cat "$work"/nginx-*.log | grep -c 'connect() failed (111: Connection refused)' || true)
echo "nginx: $refused connect(s) to the dead kaminaris refused and passed to the next server;" \
  "$(grep -c 'upstream=[0-9.:]*, ' "$work/stream-access.log" || true) sessions logged with two upstreams"
((refused >= 1)) || fail "nginx never tried the dead kaminaris: the failover was not exercised"

! grep -h 'refused (accept-proxy)' "$work"/kaminaris-*.log || fail "a kaminaris refused a PROXY header"
kill -0 "$nginx_pid" 2>/dev/null || fail "nginx died"
check_budget
echo "PASS: two kaminaris behind nginx stream: round robin, failover with no failed connection (${SECONDS}s)"

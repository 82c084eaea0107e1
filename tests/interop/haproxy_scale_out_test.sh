#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scale-out behind a real haproxy (Debian's), on loopback: two kaminaris (wss, the test
# certificate, accept-proxy;trusted=127.0.0.1;proxy-protocol=v1) behind one haproxy in
# mode tcp with balance roundrobin, send-proxy-v2 and active health checks over TLS
# (check-ssl; haproxy's check connections start with a PROXY v2 LOCAL header, which
# kaminaris must accept, or the checks fail and the servers are never up).
#   application (127.0.0.9) -> kaminaric (wss, proxy-protocol=v2) -> haproxy (bind
#   accept-proxy) -> kaminaris 1 or 2 -> capture server (echo).
# Checks:
#   - both servers are up by haproxy's health checks (stats socket, show stat);
#   - 200 connections, one after the other, each echo-checked with a per-connection
#     timeout: none fails, each one's PROXY header at the remote names the application's
#     address and port (so 127.0.0.9 survives kaminaric -> haproxy -> kaminaris), and both
#     kaminaris served some (their log-connections lines with peer=127.0.0.9);
#   - kill -9 of kaminaris 1 (by PID); haproxy marks it DOWN (polled, bounded); 200 more
#     connections: none fails, all on kaminaris 2;
#   - no kaminaris refused a PROXY header (the checks' LOCAL ones included) and none
#     warned; the health checks' own connections are counted and printed.
#
# usage: haproxy_scale_out_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs haproxy, socat, openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=90  # read by lib.sh (typically 20-30 s)
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"
# shellcheck source=haproxy.sh
source "$kmr_interop_dir/haproxy.sh"
# shellcheck source=proxy_peer.sh
source "$kmr_interop_dir/proxy_peer.sh"

readonly batch=200

kmr_init haproxy-scale-out "$@"
need_tool socat socat
haproxy_setup
pki="$work/pki"
kmr_make_pki "$pki"
start_capture capture

readonly ws="ws;host=example.com;path=/scale"
server_options="$ws;tls;cert=$pki/leaf-chain.pem;key=$pki/leaf.key;accept-proxy;trusted=127.0.0.1"
server_options+=";proxy-protocol=v1;log-connections;threads=2"
server_pids=()
server_ports=()
for i in 1 2; do
  kmr_start "kaminaris-$i" "$server_bin" 127.0.0.1:0 "127.0.0.1:$capture_port" "$server_options"
  server_pids+=("$last_pid")
  server_ports+=("$(wait_listen "$last_pid" "kaminaris-$i")")
done

haproxy_config() {
  haproxy_global
  cat <<EOF
frontend kaminari
    bind 127.0.0.1:${haproxy_ports[0]} accept-proxy
    default_backend kaminaris

backend kaminaris
    balance roundrobin
    default-server check check-ssl verify none send-proxy-v2 inter 200ms fall 2 rise 2
    server s1 127.0.0.1:${server_ports[0]}
    server s2 127.0.0.1:${server_ports[1]}
EOF
}
start_haproxy haproxy 1 haproxy_config
front=${haproxy_ports[0]}

kmr_start kaminaric "$client_bin" 127.0.0.1:0 "127.0.0.1:$front" \
  "$ws;tls;sni=example.com;ca=$pki/ca.crt;proxy-protocol=v2;threads=2"
client_port=$(wait_listen "$last_pid" kaminaric)
echo "application 127.0.0.9 -> kaminaric $client_port -> haproxy $front -> kaminaris ${server_ports[*]} -> capture $capture_port"

# server_stat <name> <column>: a column of haproxy's show stat for a server of backend
# kaminaris (8: stot, the sessions it was given; 18: status, UP, DOWN, ...).
server_stat() {
  haproxy_command "show stat" | awk -F, -v s="$1" -v c="$2" '$1 == "kaminaris" && $2 == s { print $c }'
}
server_status() { server_stat "$1" 18; }
# wait_status <name> <status prefix>: polls haproxy's stats socket, 10 s at most.
wait_status() {
  local started=${EPOCHREALTIME/./} deadline=$((SECONDS + 10)) got
  while :; do
    got=$(server_status "$1")
    [[ $got == "$2"* ]] && break
    ((SECONDS < deadline)) || fail "haproxy has $1 $got, not $2, after 10s"
    sleep 0.05
  done
  echo "haproxy: $1 is $got (after $(((${EPOCHREALTIME/./} - started) / 1000)) ms)"
}
# served <i>: how many connections from the application kaminaris <i> has logged.
served() { grep -c 'connection ended .*peer=127\.0\.0\.9:' "$work/kaminaris-$1.log" || true; }
# wait_served <total>: until the two kaminaris have logged <total> together (a line is
# written when a connection ends, a moment after the application has its echo).
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

wait_status s1 UP
wait_status s2 UP

run_batch both-up
wait_served "$batch"
first=("$(served 1)" "$(served 2)")
echo "both up: kaminaris 1 served ${first[0]}, kaminaris 2 served ${first[1]}" \
  "(haproxy's stot: s1 $(server_stat s1 8), s2 $(server_stat s2 8))"
[[ $(server_stat s1 8) == "${first[0]}" && $(server_stat s2 8) == "${first[1]}" ]] ||
  fail "haproxy's session counts differ from what the kaminaris logged"
((first[0] > 0 && first[1] > 0)) || fail "roundrobin did not use both kaminaris"
((first[0] + first[1] == batch)) || fail "the kaminaris logged $((first[0] + first[1])) connections, want $batch"

check_budget
kill -KILL "${server_pids[0]}"
wait "${server_pids[0]}" 2>/dev/null || true
echo "kaminaris 1 (PID ${server_pids[0]}) killed with SIGKILL"
wait_status s1 DOWN

run_batch one-down
wait_served $((2 * batch))
echo "one down: kaminaris 1 served $(($(served 1) - first[0])), kaminaris 2 served $(($(served 2) - first[1]))"
(($(served 1) == first[0])) || fail "kaminaris 1 is dead but logged more"
(($(served 2) == first[1] + batch)) || fail "kaminaris 2 did not serve the whole second batch"

# Each health check is a connection of its own (peer=127.0.0.1: haproxy's LOCAL header
# keeps the TCP peer): a log-connections line each, ending in a TLS or ws handshake
# failure as haproxy hangs up after its TLS handshake.
grep 'connection ended .*peer=127\.0\.0\.1:' "$work/kaminaris-2.log" >"$work/checks.txt" || true
echo "haproxy's health checks: $(wc -l <"$work/checks.txt") check connections in kaminaris 2's" \
  "log-connections lines ($(grep -o 'end=[a-z_]*' "$work/checks.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
! grep -h 'refused (accept-proxy)' "$work"/kaminaris-*.log || fail "a kaminaris refused a PROXY header"
# The test certificate is valid for two days, which kaminaris rightly warns about.
! grep -h '^warn: ' "$work"/kaminaris-*.log | grep -v '^warn: certificate .* expires in ' ||
  fail "a kaminaris warned"
kill -0 "$haproxy_pid" 2>/dev/null || fail "haproxy died"
check_budget
echo "PASS: two kaminaris behind haproxy: roundrobin, health checks, failover with no failed connection (${SECONDS}s)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TLS interop with stunnel (Debian's stunnel4, OpenSSL underneath), both directions, with
# certificates made here by pki.sh. One stunnel in the foreground runs every service:
#   good     TLS server with the test leaf (example.com + IP 127.0.0.1) -> far end
#   expired  TLS server with an expired leaf of the test CA             -> far end
#   other    TLS server with a leaf of an unrelated CA                  -> far end
#   client   TLS client (verifyChain, CAfile = test CA, checkHost and sni example.com)
#            -> kaminaris (tls;cert=<leaf + CA chain>;key=<leaf key>) -> far end
# Checks, each data check 16 MiB each way at once (sha256-checked), plus an end of stream
# each way where TLS carries it:
#   - kaminaric (tls;sni=example.com;ca=ca.crt, verified) -> stunnel good;
#   - kaminaric with sni=127.0.0.1 (verified against the IP SAN, no SNI sent) -> good;
#   - stunnel client -> kaminaris;
#   - without insecure, kaminaric refuses a wrong sni, the expired leaf and the unrelated
#     CA: the application's connection is closed without a byte, kaminaric warns about
#     the TLS handshake, and nothing reaches the far end;
#   - with insecure, the same three servers work.
#
# usage: tls_stunnel_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs stunnel (Debian package stunnel4), openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"
readonly tls_peer_py="$kmr_interop_dir/tls_peer.py"

kmr_init tls-stunnel "$@"
stunnel_bin=$(command -v stunnel || command -v stunnel4 || true)
[[ -n $stunnel_bin ]] || fail "stunnel is missing: install the Debian package 'stunnel4' (scripts/install-deps.sh --test)"
echo "peer: $("$stunnel_bin" -version 2>&1 | grep -m1 '^stunnel')$(dpkg-query -W -f=' (Debian ${Version})' stunnel4 2>/dev/null || true)"

pki="$work/pki"
kmr_make_pki "$pki"
start_far_end

start_kaminaris "tls;cert=$pki/leaf-chain.pem;key=$pki/leaf.key;log=debug;threads=2"

# start_stunnel: one foreground stunnel with the four services on free ports, retried on
# a port collision. Sets stunnel_pid and port_good, port_expired, port_other, port_client.
start_stunnel() {
  local attempt status conf="$work/stunnel.conf"
  for attempt in 1 2 3; do
    port_good=$(free_port)
    port_expired=$(free_port)
    port_other=$(free_port)
    port_client=$(free_port)
    cat >"$conf" <<EOF
foreground = yes
pid =
debug = info
output = $work/stunnel-output-$attempt.log
syslog = no

[good]
accept = 127.0.0.1:$port_good
connect = 127.0.0.1:$far_port
cert = $pki/leaf-chain.pem
key = $pki/leaf.key

[expired]
accept = 127.0.0.1:$port_expired
connect = 127.0.0.1:$far_port
cert = $pki/expired.crt
key = $pki/leaf.key

[other]
accept = 127.0.0.1:$port_other
connect = 127.0.0.1:$far_port
cert = $pki/other-leaf.crt
key = $pki/other-leaf.key

[client]
client = yes
accept = 127.0.0.1:$port_client
connect = 127.0.0.1:$kaminaris_port
verifyChain = yes
CAfile = $pki/ca.crt
checkHost = example.com
sni = example.com
EOF
    kmr_start "stunnel-$attempt" "$stunnel_bin" "$conf"
    stunnel_pid=$last_pid
    status=0
    for port in "$port_good" "$port_expired" "$port_other" "$port_client"; do
      wait_port "$stunnel_pid" "$port" stunnel || { status=$?; break; }
    done
    [[ $status -eq 0 ]] && return 0
    echo "stunnel exited early (port collision?), retrying" >&2
  done
  fail "stunnel did not start (see stunnel-*.log)"
}
start_stunnel
echo "stunnel: good $port_good, expired $port_expired, other $port_other, client $port_client -> kaminaris $kaminaris_port; far end $far_port"

# Every kaminaric of the test, started at once, by name: client_port[name], client_pid[name].
declare -A client_port client_pid
start_client() {
  local name=$1 target=$2 opts=$3
  kmr_start "kaminaric-$name" "$client_bin" 127.0.0.1:0 "127.0.0.1:$target" "$opts;log=debug;threads=2"
  client_pid[$name]=$last_pid
}
start_client verified "$port_good" "tls;sni=example.com;ca=$pki/ca.crt"
start_client ip "$port_good" "tls;sni=127.0.0.1;ca=$pki/ca.crt"
start_client wrong_sni "$port_good" "tls;sni=wrong.example.com;ca=$pki/ca.crt"
start_client expired "$port_expired" "tls;sni=example.com;ca=$pki/ca.crt"
start_client other "$port_other" "tls;sni=example.com;ca=$pki/ca.crt"
start_client wrong_sni_insecure "$port_good" "tls;sni=wrong.example.com;insecure"
start_client expired_insecure "$port_expired" "tls;sni=example.com;insecure"
start_client other_insecure "$port_other" "tls;sni=example.com;ca=$pki/ca.crt;insecure"
for name in "${!client_pid[@]}"; do
  client_port[$name]=$(wait_listen "${client_pid[$name]}" "kaminaric-$name")
done
for name in wrong_sni_insecure expired_insecure other_insecure; do
  grep -qi '^warn: .*insecure' "$work/kaminaric-$name.log" ||
    fail "kaminaric with insecure gave no start-up warning (see kaminaric-$name.log)"
done

# --- kaminaric -> stunnel server, verified
duplex_check "kaminaric (sni=example.com, ca=) -> stunnel" "${client_port[verified]}"
download_check "kaminaric -> stunnel, 16 MiB down then end of stream" "${client_port[verified]}"
halfclose_check "kaminaric -> stunnel, 16 MiB up then end of stream" "${client_port[verified]}"
duplex_check "kaminaric (sni=127.0.0.1: IP SAN) -> stunnel" "${client_port[ip]}"

# --- stunnel client -> kaminaris
check_budget
duplex_check "stunnel client (verifyChain, checkHost) -> kaminaris" "$port_client"
download_check "stunnel client -> kaminaris, 16 MiB down then end of stream" "$port_client"
halfclose_check "stunnel client -> kaminaris, 16 MiB up then end of stream" "$port_client"

# --- refusals without insecure
# refused <name> <label> <reason regex>: the application's connection through
# kaminaric-<name> ends without a byte, kaminaric warns, the far end sees nothing.
refused() {
  local name=$1 label=$2 reason=$3 far_before out
  check_budget
  far_before=$(wc -l <"$work/far-end.log")
  out=$(python3 "$tls_peer_py" --timeout 10 closed 127.0.0.1 "${client_port[$name]}" 2>&1) ||
    fail "$label: the application's connection was not closed without data: $out"
  local deadline=$((SECONDS + 10))
  until grep -q 'warn: .*TLS handshake with .* failed' "$work/kaminaric-$name.log"; do
    ((SECONDS < deadline)) || fail "$label: kaminaric logged no TLS handshake failure (see kaminaric-$name.log)"
    sleep 0.05
  done
  grep -Eq "$reason" "$work/kaminaric-$name.log" ||
    fail "$label: kaminaric's warning does not give the reason /$reason/: $(grep 'warn:' "$work/kaminaric-$name.log")"
  sleep 0.3  # a connection let through would have reached the far end by now
  [[ $(wc -l <"$work/far-end.log") -eq $far_before ]] || fail "$label: something reached the far end"
  echo "$label: refused ($out); kaminaric: $(grep -m1 'TLS handshake with' "$work/kaminaric-$name.log" | cut -c1-200)"
}
refused wrong_sni "wrong sni (wrong.example.com)" 'certificate verify failed|hostname mismatch'
refused expired "expired leaf" 'certificate verify failed|expired'
refused other "leaf of an unrelated CA" 'certificate verify failed|unable to get local issuer'

# --- the same servers with insecure
duplex_check "insecure, wrong sni -> stunnel" "${client_port[wrong_sni_insecure]}"
duplex_check "insecure, expired leaf -> stunnel" "${client_port[expired_insecure]}"
duplex_check "insecure, unrelated CA -> stunnel" "${client_port[other_insecure]}"

for log in kaminaric-verified kaminaric-ip kaminaric-wrong_sni_insecure kaminaric-expired_insecure \
  kaminaric-other_insecure kaminaris; do
  ! grep -H 'handshake .*failed\|^error' "$work/$log.log" || fail "$log: a handshake failed or an error was logged"
done
for name in "${!client_pid[@]}"; do
  kill -0 "${client_pid[$name]}" 2>/dev/null || fail "kaminaric-$name died"
done
kill -0 "$kaminaris_pid" 2>/dev/null || fail "kaminaris died"
kill -0 "$stunnel_pid" 2>/dev/null || fail "stunnel died"
check_budget
echo "PASS: kaminaric and kaminaris with stunnel, verification refusals and insecure (${SECONDS}s)"

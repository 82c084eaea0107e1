#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kaminaris's TLS layer seen by OpenSSL's own client (openssl s_client), on loopback, with
# certificates made here by pki.sh (a test CA, a leaf for example.com + 127.0.0.1 and a
# DER OCSP response for it built with `openssl ocsp`). Checks:
#   - ALPN: with ws, kaminaris selects http/1.1 from "h2,http/1.1" and selects nothing
#     from "h2" alone (the handshake still succeeds); plain tls never selects ALPN;
#   - OCSP: with ocsp= the response is stapled when asked (-status, TLS 1.3 and 1.2:
#     status successful, the leaf's serial, "good"); without -status nothing is stapled;
#     without ocsp= "no response sent" (never an empty staple);
#   - servername=: the self-signed certificate is ECDSA P-256 with the name as CN and as
#     a DNS SAN (an IP SAN for 127.0.0.1), and verifies for that name once trusted;
#   - 0-RTT: -sess_out then -sess_in -early_data: "Early data was accepted", kaminaris logs
#     "TLS early data accepted", and the early bytes reach the far end exactly once;
#     reusing the ticket and a byte-exact replay of the 0-RTT flight deliver nothing more;
#   - versions: TLS 1.2 (ECDHE + AEAD) and 1.3 connect; TLS 1.1 and a non-forward-secret
#     TLS 1.2 suite are refused by the server with an alert;
#   - data: 16 MiB down and 16 MiB up through s_client, a KeyUpdate mid-stream, and
#     16 MiB each way at once through a second client (Python's ssl), sha256-checked;
#   - bad input: garbage instead of a ClientHello, half a ClientHello then silence
#     (handshake-timeout=2: closed within 1.5-4.5 s, while another connection carries
#     16 MiB each way), half a ClientHello then FIN, and a truncated record after the
#     handshake: each connection is closed and logged at debug, and a normal connection
#     right after works (checksummed).
#
# usage: openssl_tls_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"
readonly tls_peer_py="$kmr_interop_dir/tls_peer.py"

kmr_init openssl-tls "$@"
need_tool openssl openssl
need_tool timeout coreutils
echo "peer: $(openssl version)$(dpkg-query -W -f=' (Debian ${Version})' openssl 2>/dev/null || true)"

pki="$work/pki"
kmr_make_pki "$pki"
echo "test PKI made: leaf serial $leaf_serial"
start_far_end

# start_server <log name> <options>: kaminaris on a kernel-chosen port in front of the
# far end; sets server_port[<log name>].
declare -A server_port
start_server() {
  local log=$1 opts=$2
  kmr_start "$log" "$server_bin" 127.0.0.1:0 "127.0.0.1:$far_port" "$opts;log=debug;threads=2"
  server_port[$log]=$(wait_listen "$last_pid" "$log")
}
start_server k-main "tls;cert=$pki/leaf-chain.pem;key=$pki/leaf.key;ocsp=$pki/leaf.ocsp.der;handshake-timeout=2"
start_server k-ws "ws;host=example.com;path=/ws;tls;cert=$pki/leaf.crt;key=$pki/leaf.key"
start_server k-self-name "tls;servername=tunnel.example.com"
start_server k-self-ip "tls;servername=127.0.0.1"
echo "kaminaris: main ${server_port[k-main]}, ws ${server_port[k-ws]}, self-signed ${server_port[k-self-name]} and ${server_port[k-self-ip]}; far end $far_port"

# sclient <out name> <port> <stdin file> <s_client args...>: one bounded s_client run,
# its whole output in $work/<out name>.out. Its exit status is not judged here.
sclient() {
  local out=$1 port=$2 input=$3
  shift 3
  timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" <"$input" >"$work/$out.out" 2>&1 || true
}
# expect_in <out name> <fixed string> <what>; expect_not_in likewise.
expect_in() {
  grep -qF -- "$2" "$work/$1.out" || fail "$3: s_client did not print '$2' (see $1.out: $(tail -n 40 "$work/$1.out"))"
}
expect_not_in() {
  ! grep -F -- "$2" "$work/$1.out" || fail "$3: s_client printed '$2' (see $1.out)"
}
verified=(-servername example.com -CAfile "$pki/ca.crt" -verify_hostname example.com -verify_return_error)

# count_lines <log name> <fixed string>
count_lines() {
  grep -cF -- "$2" "$work/$1.log" || true
}
# wait_count <log name> <fixed string> <at least> <what>: bounded wait for a log line.
wait_count() {
  local deadline=$((SECONDS + 10))
  until (($(count_lines "$1" "$2") >= $3)); do
    ((SECONDS < deadline)) || fail "$4: kaminaris did not log '$2' (see $1.log)"
    sleep 0.05
  done
}
# wait_far <tag>: waits until the far end has stored a SINK connection to its end.
wait_far() {
  local deadline=$((SECONDS + 10))
  until [[ -s $work/far/$1.done ]]; do
    ((SECONDS < deadline)) || fail "the far end never saw the end of '$1'"
    sleep 0.05
  done
}

# --- ALPN
sclient alpn-ws "${server_port[k-ws]}" /dev/null "${verified[@]}" -alpn h2,http/1.1
expect_in alpn-ws "Verification: OK" "ALPN with ws"
expect_in alpn-ws "ALPN protocol: http/1.1" "ALPN h2,http/1.1 with ws"
sclient alpn-ws-h2 "${server_port[k-ws]}" /dev/null "${verified[@]}" -alpn h2
expect_in alpn-ws-h2 "New, TLSv1.3" "ALPN h2 alone with ws (the handshake must still succeed)"
expect_in alpn-ws-h2 "No ALPN negotiated" "ALPN h2 alone with ws"
sclient alpn-tls "${server_port[k-main]}" /dev/null "${verified[@]}" -alpn h2,http/1.1
expect_in alpn-tls "New, TLSv1.3" "ALPN with plain tls"
expect_in alpn-tls "No ALPN negotiated" "ALPN with plain tls"
echo "ALPN: http/1.1 chosen with ws, none for h2 alone, none without ws: OK"

# --- OCSP staple
for version in -tls1_3 -tls1_2; do
  out="ocsp$version"
  sclient "$out" "${server_port[k-main]}" /dev/null "${verified[@]}" "$version" -status -msg
  expect_in "$out" "OCSP Response Status: successful" "OCSP staple ($version)"
  expect_in "$out" "Cert Status: good" "OCSP staple ($version)"
  expect_in "$out" "Serial Number: $leaf_serial" "OCSP staple for the leaf ($version)"
  expect_in "$out" "Responder Id: CN = Kaminari Test CA" "OCSP staple ($version)"
  [[ $version == -tls1_2 ]] && expect_in "$out" "CertificateStatus" "OCSP staple in TLS 1.2"
  out="no-status$version"
  sclient "$out" "${server_port[k-main]}" /dev/null "${verified[@]}" "$version" -msg
  expect_in "$out" "Verification: OK" "without -status ($version)"
  expect_not_in "$out" "OCSP response" "without -status nothing is stapled ($version)"
  expect_not_in "$out" "CertificateStatus" "without -status nothing is stapled ($version)"
  out="no-ocsp$version"
  sclient "$out" "${server_port[k-ws]}" /dev/null "${verified[@]}" "$version" -status -msg
  expect_in "$out" "OCSP response: no response sent" "no ocsp= ($version)"
  expect_not_in "$out" "CertificateStatus" "no ocsp=: not even an empty staple ($version)"
done
echo "OCSP: stapled with ocsp= (TLS 1.3 and 1.2, serial $leaf_serial good), nothing without -status, none without ocsp=: OK"

# --- self-signed certificates of servername=
# self_signed_check <port> <name> <SAN text> <x509 check option>
self_signed_check() {
  local port=$1 name=$2 san=$3 check=$4 pem="$work/self-$2.pem" text="$work/self-$2.txt"
  sclient "self-$name" "$port" /dev/null -showcerts
  sed -n '/-BEGIN CERTIFICATE-/,/-END CERTIFICATE-/p' "$work/self-$name.out" >"$pem"
  [[ $(grep -c 'BEGIN CERTIFICATE' "$pem") -eq 1 ]] || fail "servername=$name: want one certificate (see self-$name.out)"
  openssl x509 -in "$pem" -noout -text >"$text" 2>&1 || fail "servername=$name: openssl x509 cannot read it"
  grep -q "Subject: CN = $name\$" "$text" || fail "servername=$name: CN is not $name: $(grep Subject: "$text")"
  grep -qF "$san" "$text" || fail "servername=$name: no '$san' in the SAN: $(cat "$text")"
  grep -q 'Public Key Algorithm: id-ecPublicKey' "$text" || fail "servername=$name: not an EC key"
  grep -q 'NIST CURVE: P-256' "$text" || fail "servername=$name: not P-256"
  openssl x509 -in "$pem" -noout "$check" "$name" 2>&1 | grep -q 'does match' ||
    fail "servername=$name: openssl x509 $check $name does not match"
  # Trusted as it is, it verifies for its name.
  if [[ $check == -checkhost ]]; then
    sclient "self-$name-verify" "$port" /dev/null -servername "$name" -CAfile "$pem" -verify_hostname "$name" -verify_return_error
  else
    sclient "self-$name-verify" "$port" /dev/null -CAfile "$pem" -verify_ip "$name" -verify_return_error
  fi
  expect_in "self-$name-verify" "Verification: OK" "servername=$name trusted as its own anchor"
  echo "servername=$name: CN = $name, $san, ECDSA P-256, verifies for $name: OK"
}
self_signed_check "${server_port[k-self-name]}" tunnel.example.com "DNS:tunnel.example.com" -checkhost
self_signed_check "${server_port[k-self-ip]}" 127.0.0.1 "IP Address:127.0.0.1" -checkip

# --- versions and suites
sclient v12 "${server_port[k-main]}" /dev/null "${verified[@]}" -tls1_2
expect_in v12 "New, TLSv1.2, Cipher is" "TLS 1.2"
grep -Eq 'Cipher is ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$' "$work/v12.out" ||
  fail "TLS 1.2: not an ECDHE AEAD suite: $(grep 'Cipher is' "$work/v12.out")"
sclient v13 "${server_port[k-main]}" /dev/null "${verified[@]}" -tls1_3
expect_in v13 "New, TLSv1.3, Cipher is" "TLS 1.3"
refused_before=$(count_lines k-main "unsupported protocol")
# SECLEVEL=0 lets this client send a TLS 1.1 hello at all; the server must refuse it.
sclient v11 "${server_port[k-main]}" /dev/null -servername example.com -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -msg
expect_in v11 ">>> TLS 1.1, Handshake" "TLS 1.1 (the hello must go out)"
grep -q '<<< .*Alert.*fatal protocol_version' "$work/v11.out" || fail "TLS 1.1: no protocol_version alert from kaminaris (see v11.out)"
expect_not_in v11 "New, TLSv1.1" "TLS 1.1 must be refused"
wait_count k-main "unsupported protocol" $((refused_before + 1)) "TLS 1.1"
sclient legacy "${server_port[k-main]}" /dev/null -servername example.com -tls1_2 -cipher AES128-SHA -msg
grep -q '<<< .*Alert.*fatal handshake_failure' "$work/legacy.out" ||
  fail "TLS 1.2 with AES128-SHA (no forward secrecy, CBC): not refused (see legacy.out)"
echo "versions: TLS 1.2 ($(sed -n 's/.*Cipher is //p' "$work/v12.out" | head -n1)) and 1.3 connect; TLS 1.1 and AES128-SHA refused with an alert: OK"

# --- data through s_client
check_budget
timeout 30 openssl s_client -quiet -connect "127.0.0.1:${server_port[k-main]}" "${verified[@]}" \
  <<<"SOURCE $kmr_transfer_bytes" >"$work/sclient.down" 2>"$work/sclient-down.log" ||
  fail "s_client download failed (see sclient-down.log)"
got=$(sha256sum <"$work/sclient.down" | cut -d' ' -f1)
[[ $got == "$down_sha" ]] ||
  fail "s_client download corrupted ($(stat -c %s "$work/sclient.down") bytes, sha256 $got, want $down_sha)"
rm -f "$work/sclient.down"
# -nocommands: the random data holds lines starting with K, Q or R, which s_client
# would otherwise take as commands. At its end of input s_client sends close_notify.
{ echo "SINK sclient-up"; cat "$work/up.src"; } |
  timeout 30 openssl s_client -nocommands -connect "127.0.0.1:${server_port[k-main]}" "${verified[@]}" \
    >"$work/sclient-up.log" 2>&1 || fail "s_client upload failed (see sclient-up.log)"
wait_far sclient-up
got=$(sha256sum <"$work/far/sclient-up" | cut -d' ' -f1)
[[ $got == "$up_sha" ]] ||
  fail "s_client upload corrupted ($(stat -c %s "$work/far/sclient-up") bytes, sha256 $got, want $up_sha)"
rm -f "$work/far/sclient-up"
echo "s_client: 16 MiB down then close_notify, 16 MiB up then close_notify, sha256 checked: OK"
# A KeyUpdate (with update_requested) in the middle of a stream: "K" on its own line.
{ printf 'SINK keyupdate\nbefore\n'; sleep 0.3; echo K; sleep 0.3; echo after; sleep 0.3; } |
  timeout 10 openssl s_client -connect "127.0.0.1:${server_port[k-main]}" "${verified[@]}" -msg >"$work/keyupdate.out" 2>&1 || true
expect_in keyupdate ">>> TLS 1.3, Handshake [length 0005], KeyUpdate" "KeyUpdate (sent)"
wait_far keyupdate
[[ $(cat "$work/far/keyupdate") == $'before\nafter' ]] ||
  fail "KeyUpdate: the far end got $(od -c "$work/far/keyupdate" | head -n 5)"
echo "KeyUpdate mid-stream: the data after it arrives: OK"

# --- 0-RTT
check_budget
{ printf 'SINK zrtt-first\nfirst\n'; sleep 0.5; } |
  timeout 10 openssl s_client -connect "127.0.0.1:${server_port[k-main]}" "${verified[@]}" -sess_out "$work/sess.pem" \
    >"$work/zrtt-first.out" 2>&1 || true
[[ -s $work/sess.pem ]] || fail "0-RTT: s_client saved no session (see zrtt-first.out)"
expect_in zrtt-first "Max Early Data: 16384" "0-RTT: the ticket allows early data"
printf 'SINK zrtt-early\nthis went out in the first flight\n' >"$work/early.txt"
accepted_before=$(count_lines k-main "TLS early data accepted")
sclient zrtt "${server_port[k-main]}" <(sleep 0.5) "${verified[@]}" -sess_in "$work/sess.pem" -early_data "$work/early.txt"
expect_in zrtt "Reused, TLSv1.3" "0-RTT: resumption"
expect_in zrtt "Early data was accepted" "0-RTT"
wait_count k-main "TLS early data accepted" $((accepted_before + 1)) "0-RTT"
wait_far zrtt-early
[[ $(cat "$work/far/zrtt-early") == "this went out in the first flight" ]] ||
  fail "0-RTT: the far end got $(od -c "$work/far/zrtt-early" | head -n 5), want the early bytes once"
# The same ticket again: its early data must not be accepted a second time.
printf 'SINK zrtt-again\nreplayed\n' >"$work/early-again.txt"
sclient zrtt-again "${server_port[k-main]}" <(sleep 0.5) "${verified[@]}" -sess_in "$work/sess.pem" -early_data "$work/early-again.txt"
expect_in zrtt-again "Early data was rejected" "0-RTT with a used ticket"
# A byte-exact replay of a 0-RTT flight (recorded through a relay), sent to kaminaris.
{ printf 'SINK zrtt-fresh\nfresh\n'; sleep 0.5; } |
  timeout 10 openssl s_client -connect "127.0.0.1:${server_port[k-main]}" "${verified[@]}" -sess_out "$work/sess2.pem" \
    >"$work/zrtt-fresh.out" 2>&1 || true
kmr_start recorder python3 "$tls_peer_py" record --port-file "$work/recorder.port" --to "${server_port[k-main]}" --out "$work/flight.bin"
recorder_pid=$last_pid
wait_file "$recorder_pid" "$work/recorder.port" "the recording relay"
printf 'SINK zrtt-recorded\nrecorded once\n' >"$work/early-rec.txt"
sclient zrtt-recorded "$(<"$work/recorder.port")" <(sleep 0.5) "${verified[@]}" -sess_in "$work/sess2.pem" -early_data "$work/early-rec.txt"
expect_in zrtt-recorded "Early data was accepted" "0-RTT through the recording relay"
wait_far zrtt-recorded
for ((i = 0; i < 100; i++)); do kill -0 "$recorder_pid" 2>/dev/null || break; sleep 0.05; done
[[ -s $work/flight.bin ]] || fail "the relay recorded nothing"
accepted=$(count_lines k-main "TLS early data accepted")
python3 "$tls_peer_py" --timeout 10 replay 127.0.0.1 "${server_port[k-main]}" --in "$work/flight.bin" >"$work/replay.out" 2>&1 ||
  fail "0-RTT replay: kaminaris did not close the connection (see replay.out)"
sleep 0.5  # anything the replay could have delivered would be at the far end by now
[[ $(count_lines k-main "TLS early data accepted") -eq $accepted ]] || fail "0-RTT replay: early data accepted again"
[[ $(count_lines far-end "SINK zrtt-recorded") -eq 1 ]] || fail "0-RTT replay: the far end got the recorded request twice"
[[ $(count_lines far-end "SINK zrtt-again") -eq 0 ]] || fail "0-RTT: the reused ticket's early data reached the far end"
[[ $(count_lines far-end "SINK zrtt-early") -eq 1 ]] || fail "0-RTT: the far end got the early request more than once"
echo "0-RTT: accepted and logged, delivered exactly once; a reused ticket and a replayed flight ($(stat -c %s "$work/flight.bin") bytes, $(cat "$work/replay.out")) deliver nothing: OK"

# --- bad input, then a normal connection
check_budget
# probe <log string> <tls_peer.py args...>: the probe must end closed, and kaminaris
# must log a new line with the string.
probe() {
  local logged=$1 before out
  shift
  before=$(count_lines k-main "$logged")
  out=$(python3 "$tls_peer_py" --timeout 10 "$@" 2>&1) || fail "$1: the connection stayed open: $out"
  wait_count k-main "$logged" $((before + 1)) "$1"
  echo "$out; logged: $(grep -F -- "$logged" "$work/k-main.log" | tail -n 1)"
}
probe "TLS handshake failed" garbage 127.0.0.1 "${server_port[k-main]}"
probe "TLS handshake failed" stall --fin 127.0.0.1 "${server_port[k-main]}"
probe "TLS failure" truncated 127.0.0.1 "${server_port[k-main]}" --sni example.com --ca "$pki/ca.crt" --tag truncated
# Half a ClientHello and silence: closed by handshake-timeout=2, while another
# connection carries 16 MiB each way.
before=$(count_lines k-main "TLS handshake failed")
python3 "$tls_peer_py" --timeout 10 stall 127.0.0.1 "${server_port[k-main]}" >"$work/stall.out" 2>&1 &
stall_pid=$!
tls_duplex() {
  local label=$1 tag=$2 got
  python3 "$tls_peer_py" duplex 127.0.0.1 "${server_port[k-main]}" --sni example.com --ca "$pki/ca.crt" --tag "$tag" \
    --send "$work/up.src" --recv "$work/$tag.down" 2>>"$work/client-$tag.log" ||
    fail "$label: the 16 MiB duplex transfer failed (see client-$tag.log)"
  got=$(sha256sum <"$work/$tag.down" | cut -d' ' -f1)
  [[ $got == "$down_sha" ]] || fail "$label: download corrupted (sha256 $got, want $down_sha)"
  got=$(sha256sum <"$work/far/$tag" | cut -d' ' -f1)
  [[ $got == "$up_sha" ]] || fail "$label: upload corrupted (sha256 $got, want $up_sha)"
  rm -f "$work/$tag.down" "$work/far/$tag"
  echo "$label: OK, 16 MiB each way, sha256 checked"
}
tls_duplex "a connection during a stalled handshake" during-stall
wait "$stall_pid" || fail "the stalled handshake was not closed: $(cat "$work/stall.out")"
stall_seconds=$(sed -n 's/.* after \([0-9.]*\)s.*/\1/p' "$work/stall.out")
python3 -c "import sys; sys.exit(0 if 1.5 <= float(sys.argv[1]) <= 4.5 else 1)" "$stall_seconds" ||
  fail "the stalled handshake was closed after ${stall_seconds}s, want 1.5-4.5 s (handshake-timeout=2)"
wait_count k-main "TLS handshake failed" $((before + 1)) "the stalled handshake"
echo "$(cat "$work/stall.out") (handshake-timeout=2): OK"
tls_duplex "a normal connection after the bad input" after-bad-input

for name in k-main k-ws k-self-name k-self-ip; do
  ! grep -H '^error\|runtime error\|Sanitizer' "$work/$name.log" || fail "$name logged an error"
done
for pid in "${pids[@]}"; do
  [[ $pid == "$recorder_pid" ]] || kill -0 "$pid" 2>/dev/null || fail "a process of this test died (pid $pid)"
done
check_budget
echo "PASS: openssl s_client against kaminaris (${SECONDS}s)"

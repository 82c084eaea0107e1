#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kaminaric (wss) -> nginx (TLS terminator, WebSocket reverse proxy) -> kaminaris (plain
# ws) -> far end, on loopback: the CDN-like set-up. nginx runs in the foreground as this
# user with its own prefix in a temp dir and the server block of
# tests/interop/nginx-wss.conf.template, with the test leaf of pki.sh; kaminaric verifies
# it with ca= (no insecure). The test fails if docs/behind-nginx.md does not contain the
# template verbatim. Checks:
#   - 16 MiB each way at once, sha256-checked; an end of stream each way through nginx
#     (the 16 MiB before it arrive intact; nginx then ends both directions; how the
#     application's connection ends after its own end of stream is only reported); the
#     first of these connections is a full handshake and the later ones resume (no 0rtt);
#   - curl over https through nginx gets kaminaris's own 426 for a request without upgrade;
#   - kaminaric with alpn=h2,http/1.1: nginx picks http/1.1 and the tunnel works;
#   - kaminaric with 0rtt against nginx's default (ssl_early_data off): the tickets allow
#     no early data, so none is sent; the later connections resume; every one works;
#   - kaminaric with 0rtt against nginx with ssl_early_data on: the second connection
#     sends its upgrade request as early data and nginx accepts it; nginx then restarts
#     (new ticket keys), so the next connection's early data is refused by nginx, and
#     kaminaric must send it again after the handshake: the transfer still checks out.
#     A recording relay between kaminaric and nginx shows what each ClientHello offered.
#
# usage: wss_nginx_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs nginx, curl, openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"
readonly tls_peer_py="$kmr_interop_dir/tls_peer.py"

# shellcheck source=nginx.sh
source "$kmr_interop_dir/nginx.sh"

readonly ws_host=example.com
readonly ws_path=/ws
readonly template="$kmr_interop_dir/nginx-wss.conf.template"

kmr_init wss-nginx-interop "$@"
need_tool curl curl
nginx_setup
nginx_check_doc "$template"

pki="$work/pki"
kmr_make_pki "$pki"
start_far_end

start_kaminaris "ws;host=$ws_host;path=$ws_path;log=debug;threads=2"

# start_wss_nginx <name> <port or ""> <extra http-level directives>: nginx.sh's
# start_nginx with the wss template, the test leaf and kaminaris behind it.
start_wss_nginx() {
  start_nginx "$1" "$template" "$2" "$3" "s|@SERVER_NAME@|$ws_host|g" "s|@CERT@|$pki/leaf-chain.pem|g" \
    "s|@KEY@|$pki/leaf.key|g" "s|@WS_PATH@|$ws_path|g" "s|@KAMINARIS@|127.0.0.1:$kaminaris_port|g"
}

# access_count <name>: lines in nginx <name>'s access log so far.
access_count() {
  [[ -f $work/$1-access.log ]] || { echo 0; return; }
  wc -l <"$work/$1-access.log"
}
# access_since <name> <count before> <n>: waits for n more access log lines (nginx writes
# one when an upgraded connection ends) and prints them.
access_since() {
  local deadline=$((SECONDS + 10))
  until (($(access_count "$1") >= $2 + $3)); do
    ((SECONDS < deadline)) || fail "nginx $1 logged $(($(access_count "$1") - $2)) of $3 requests (see $1-access.log)"
    sleep 0.05
  done
  sed -n "$(($2 + 1)),$(($2 + $3))p" "$work/$1-access.log"
}
# recording <file>: waits for the relay to write a connection's recording.
recording() {
  local deadline=$((SECONDS + 10))
  until [[ -f $1 ]]; do
    ((SECONDS < deadline)) || fail "no recording $1"
    sleep 0.05
  done
  python3 "$tls_peer_py" hello-info --in "$1"
}

# upload_then_end_check <label> <port>: like halfclose_check with answer-optional, but
# how the application's connection ends after its own end of stream is reported, not
# judged: nginx answers kaminaric's close_notify with a bare FIN (it never sends a
# close_notify of its own once it has received one), which kaminaric, like the original,
# treats as a truncation and passes on as a reset. What is judged: all 16 MiB reach the
# far end (sha256), the far end sees the end of stream, and nothing hangs.
upload_then_end_check() {
  local label=$1 port=$2 tag got out status=0 ending deadline
  tag=$(echo "$label" | tr -c 'A-Za-z0-9_-' '_')
  rm -f "$work/far/$tag" "$work/far/$tag.done"
  out=$(python3 "$kmr_peer_py" halfclose 127.0.0.1 "$port" --tag "$tag" --send "$work/up.src" --answer-optional \
    2>>"$work/client-$tag.log") || status=$?
  deadline=$((SECONDS + ready_seconds))
  until [[ -s $work/far/$tag.done ]]; do
    ((SECONDS < deadline)) || fail "$label: the far end never saw the end of stream"
    sleep 0.05
  done
  got=$(sha256sum <"$work/far/$tag" | cut -d' ' -f1)
  [[ $got == "$up_sha" ]] ||
    fail "$label: upload corrupted ($(stat -c %s "$work/far/$tag") bytes, sha256 $got, want $up_sha)"
  rm -f "$work/far/$tag" "$work/far/$tag.done"
  if [[ $status -eq 0 && $out == "no answer" ]]; then
    ending="an end of stream without the answer"
  elif [[ $status -eq 0 ]]; then
    ending="the answer"
  elif grep -q 'ConnectionResetError' "$work/client-$tag.log"; then
    ending="a RESET (observed, not judged: see the comment of upload_then_end_check)"
  else
    fail "$label: the application's connection failed: $(tail -n 1 "$work/client-$tag.log")"
  fi
  echo "$label: OK, 16 MiB then end of stream all delivered; the application's connection then got $ending"
}

# start_client <log name> <remote port> <extra options>: sets kaminaric_pid, kaminaric_port.
wss="ws;host=$ws_host;path=$ws_path;tls;sni=$ws_host;ca=$pki/ca.crt"
start_client() {
  kmr_start "$1" "$client_bin" 127.0.0.1:0 "127.0.0.1:$2" "$wss;log=debug;$3"
  kaminaric_pid=$last_pid
  kaminaric_port=$(wait_listen "$kaminaric_pid" "$1")
}

# --- nginx with the template as it is
start_wss_nginx nginx "" ""
main_nginx_pid=$nginx_pid
main_nginx_port=$nginx_port
echo "kaminaric -> nginx (TLS) 127.0.0.1:$nginx_port -> kaminaris (ws) 127.0.0.1:$kaminaris_port -> far end $far_port"

out="$work/curl-426.out"
curl -sS -i --max-time 5 --cacert "$pki/ca.crt" --resolve "$ws_host:$nginx_port:127.0.0.1" \
  "https://$ws_host:$nginx_port$ws_path" -o "$out" 2>>"$work/curl.log" || fail "curl over https failed (see curl.log)"
[[ $(head -n1 "$out" | tr -d '\r') == "HTTP/1.1 426 "* ]] || fail "https without upgrade: want kaminaris's 426, got: $(cat "$out")"
grep -qi '^content-type: text/plain' "$out" || fail "the 426 is not kaminaris's text/plain page: $(cat "$out")"
echo "curl https://$ws_host$ws_path through nginx: kaminaris's 426, the certificate verified with the test CA"

before=$(access_count nginx)
start_client kaminaric "$main_nginx_port" "threads=1"
duplex_check "kaminaric wss via nginx" "$kaminaric_port"
download_check "kaminaric wss via nginx, 16 MiB down then end of stream" "$kaminaric_port"
upload_then_end_check "kaminaric wss via nginx, 16 MiB up then end of stream" "$kaminaric_port"
stop_pid "$kaminaric_pid"
# Without 0rtt too, kaminaric resumes (as the original does): the first connection is a
# full handshake, the next two use the tickets of the one before (one client thread).
n=0
while read -r line; do
  reused=r
  ((n++ == 0)) && reused=.
  [[ $line == "TLSv1.3 alpn=- reused=$reused status=101 \"GET $ws_path HTTP/1.1\"" ]] ||
    fail "nginx's record of tunnel $n (want reused=$reused): $line"
done < <(access_since nginx "$before" 3)
echo "nginx: $(access_since nginx "$before" 3 | tr '\n' ';')"

check_budget
before=$(access_count nginx)
start_client kaminaric-alpn "$main_nginx_port" "alpn=h2,http/1.1;threads=2"
duplex_check "kaminaric wss alpn=h2,http/1.1 via nginx" "$kaminaric_port"
stop_pid "$kaminaric_pid"
line=$(access_since nginx "$before" 1)
[[ $line == *"alpn=http/1.1 "*"status=101"* ]] || fail "nginx did not pick http/1.1 from h2,http/1.1: $line"
echo "nginx: $line"

# 0rtt against nginx's default: no early data in its tickets. One thread, so that every
# connection finds the ticket of the one before. A recording relay sits in front of nginx.
check_budget
before=$(access_count nginx)
kmr_start recorder-off python3 "$tls_peer_py" record --port-file "$work/recorder-off.port" --to "$main_nginx_port" \
  --out "$work/hello-off" --connections 2 --keep 65536
wait_file "$last_pid" "$work/recorder-off.port" "the recording relay"
start_client kaminaric-0rtt-off "$(<"$work/recorder-off.port")" "0rtt;threads=1"
duplex_check "kaminaric wss 0rtt via nginx (ssl_early_data off) #1" "$kaminaric_port"
duplex_check "kaminaric wss 0rtt via nginx (ssl_early_data off) #2" "$kaminaric_port"
stop_pid "$kaminaric_pid"
mapfile -t nginx_saw < <(access_since nginx "$before" 2)
for i in 1 2; do
  hello[i]=$(recording "$work/hello-off.$i")
  echo "  0rtt, nginx early data off #$i: kaminaric offered: ${hello[i]}; nginx: ${nginx_saw[i - 1]}"
done
[[ ${hello[1]} == *"psk=no early_data=no"* ]] || fail "0rtt #1 (no ticket yet): ${hello[1]}"
[[ ${hello[2]} == *"psk=yes early_data=no"* ]] ||
  fail "0rtt #2: want a resumption without early data (nginx's ticket allows none): ${hello[2]}"
[[ ${nginx_saw[1]} == *"reused=r status=101"* ]] || fail "0rtt #2: nginx did not resume it: ${nginx_saw[1]}"

# --- nginx with ssl_early_data on, then restarted on the same port with new ticket keys
check_budget
stop_pid "$main_nginx_pid"
start_wss_nginx nginx-early "" "ssl_early_data on;"
early_port=$nginx_port
kmr_start recorder-on python3 "$tls_peer_py" record --port-file "$work/recorder-on.port" --to "$early_port" \
  --out "$work/hello-on" --connections 3 --keep 65536
wait_file "$last_pid" "$work/recorder-on.port" "the recording relay"
start_client kaminaric-0rtt-on "$(<"$work/recorder-on.port")" "0rtt;threads=1"
duplex_check "kaminaric wss 0rtt via nginx (ssl_early_data on) #1, full handshake" "$kaminaric_port"
duplex_check "kaminaric wss 0rtt via nginx (ssl_early_data on) #2, early data" "$kaminaric_port"
mapfile -t nginx_saw < <(access_since nginx-early 0 2)
stop_pid "$nginx_pid"
start_wss_nginx nginx-early-restarted "$early_port" "ssl_early_data on;"
duplex_check "kaminaric wss 0rtt via a restarted nginx #3, early data refused and sent again" "$kaminaric_port"
stop_pid "$kaminaric_pid"
nginx_saw[2]=$(access_since nginx-early-restarted 0 1)
for i in 1 2 3; do
  hello[i]=$(recording "$work/hello-on.$i")
  echo "  0rtt, nginx early data on #$i: kaminaric offered: ${hello[i]}; nginx: ${nginx_saw[i - 1]}"
done
[[ ${hello[1]} == *"psk=no early_data=no end_of_early_data=no" && ${nginx_saw[0]} == *"reused=. status=101"* ]] ||
  fail "0rtt on #1: want a full handshake"
[[ ${hello[2]} == *"psk=yes early_data=yes end_of_early_data=yes" ]] ||
  fail "0rtt on #2: want early data sent and accepted: ${hello[2]}"
[[ ${nginx_saw[1]} == *"reused=r status=101"* ]] || fail "0rtt on #2: nginx did not resume it: ${nginx_saw[1]}"
[[ ${hello[3]} == *"psk=yes early_data=yes end_of_early_data=no" ]] ||
  fail "0rtt on #3: want early data offered, and refused by the restarted nginx: ${hello[3]}"
[[ ${nginx_saw[2]} == *"reused=. status=101"* ]] || fail "0rtt on #3: want a full handshake: ${nginx_saw[2]}"
sleep 0.3
[[ $(access_count nginx-early-restarted) -eq 1 && $(access_count nginx-early) -eq 2 ]] ||
  fail "nginx saw an upgrade request more than once"
echo "0rtt: early data accepted by nginx, and refused then sent again after its restart: OK"

! grep -H 'handshake with .* failed' "$work"/kaminaric*.log || fail "a kaminaric handshake failed"
# The only refusal is the one asked for by curl.
[[ $(grep -c 'handshake failed' "$work/kaminaris.log") -eq 1 ]] || fail "kaminaris refused a handshake"
kill -0 "$nginx_pid" 2>/dev/null || fail "nginx died"
kill -0 "$kaminaris_pid" 2>/dev/null || fail "kaminaris died"
check_budget
echo "PASS: kaminaric (wss) -> nginx (TLS) -> kaminaris (ws) (${SECONDS}s)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shadowsocks-libev as the SIP003 host of the tls and wss layers: ss-local and ss-server
# start kaminaric and kaminaris with --plugin-opts (each side its own string, with
# absolute paths to the certificates pki.sh made), and through the SOCKS5 port curl
# downloads 16 MiB and uploads 16 MiB (PUT) to a local HTTP server; both are checked
# with sha256sum. Cases:
#   1. wss, the test CA: server ws;...;tls;cert=;key=, client ws;...;tls;sni=;ca= (verified)
#   2. wss, self-signed: server ws;...;tls;servername=example.com, client ws;...;tls;sni=;insecure
#   3. wss with 0rtt on the client (one thread, so its second connection resumes): the
#      upgrade request rides as TLS early data, and kaminaris logs it accepted
#   4. tls alone (no ws), the test CA, 0rtt: the shadowsocks request rides as early data
#      when ss-local has written it by the time kaminaric is connected (reported only:
#      on loopback that is a race)
#
# usage: wss_shadowsocks_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs ss-server, ss-local, curl, openssl, python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=60  # read by lib.sh
ready_seconds=20
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"

readonly method=chacha20-ietf-poly1305
readonly password=kaminari-interop-test

kmr_init ss-wss-interop "$@"
need_tool ss-server shadowsocks-libev
need_tool ss-local shadowsocks-libev
need_tool curl curl
echo "peer: $(ss-server -h 2>&1 | grep -m1 -i 'shadowsocks-libev' || echo ss-server)$(dpkg-query -W -f=' (Debian ${Version})' shadowsocks-libev 2>/dev/null || true)"

pki="$work/pki"  # absolute: $work comes from mktemp
kmr_make_pki "$pki"

# --- the origin: an HTTP server with GET (the 16 MiB download) and PUT (uploads)
mkdir -p "$work/www"
cp "$work/down.src" "$work/www/file"
kmr_start http python3 "$kmr_peer_py" http --port-file "$work/http.port" --dir "$work/www"
wait_file "$last_pid" "$work/http.port" "the HTTP server (tcp_peer.py http)"
http_port=$(<"$work/http.port")

# run_case <client options> <server options> <layers> <tag>: starts ss-server and ss-local
# with our plugins, downloads and uploads through SOCKS5. Returns 3 if a process died
# early (a port taken between free_port and bind): the caller retries with new ports.
run_case() {
  local c_opts=$1 s_opts=$2 layers=$3 tag=$4 ss_port socks_port server_pid local_pid deadline got
  local name="[$c_opts] -> [$s_opts]"
  ss_port=$(free_port)
  socks_port=$(free_port)
  echo "case $tag: ss-server on 127.0.0.1:$ss_port, ss-local SOCKS on 127.0.0.1:$socks_port"
  echo "  ss-local plugin-opts:  $c_opts"
  echo "  ss-server plugin-opts: $s_opts"

  kmr_start "ss-server-$tag" ss-server -s 127.0.0.1 -p "$ss_port" -k "$password" -m "$method" -v \
    --plugin "$server_bin" --plugin-opts "$s_opts"
  server_pid=$last_pid
  kmr_start "ss-local-$tag" ss-local -s 127.0.0.1 -p "$ss_port" -b 127.0.0.1 -l "$socks_port" \
    -k "$password" -m "$method" -v --plugin "$client_bin" --plugin-opts "$c_opts"
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

  # Our plugins carried it, with the layers asked for.
  grep -qxF "accept: $layers" "$work/ss-server-$tag.log" || fail "case $name: kaminaris did not run $layers"
  grep -qxF "connect: $layers" "$work/ss-local-$tag.log" || fail "case $name: kaminaric did not run $layers"
  ! grep -H 'handshake with .* failed\|handshake failed\|^error' \
    "$work/ss-local-$tag.log" "$work/ss-server-$tag.log" || fail "case $name: a handshake failed"
  if [[ $c_opts == *insecure* ]]; then
    grep -q '^warn: insecure' "$work/ss-local-$tag.log" || fail "case $name: kaminaric gave no insecure warning"
  fi
  local early="" accepted
  if [[ $c_opts == *0rtt* ]]; then
    accepted=$(grep -c 'TLS early data accepted' "$work/ss-server-$tag.log" || true)
    if [[ $layers == *"[ws]"* ]]; then
      # kaminaric writes the upgrade request itself: a resumed connection always has it.
      ((accepted >= 1)) || fail "case $name: the second connection's early data was not accepted (see ss-server-$tag.log)"
      early=", the upgrade request of $accepted connection(s) accepted as early data"
    else
      # Under tls alone the early data is what ss-local has already written when
      # kaminaric has its TCP connection; on loopback that is a race, so only reported.
      early=", early data accepted on $accepted connection(s) (reported, not judged)"
    fi
  fi

  stop_pid "$local_pid"
  stop_pid "$server_pid"
  echo "case $tag: OK, 16 MiB down and 16 MiB up, sha256 checked$early"
}

ws="ws;host=example.com;path=/ws"
cert="cert=$pki/leaf-chain.pem;key=$pki/leaf.key"
cases=(
  "$ws;tls;sni=example.com;ca=$pki/ca.crt|$ws;tls;$cert|[ws][tls][plain]"
  "$ws;tls;sni=example.com;insecure|$ws;tls;servername=example.com|[ws][tls][plain]"
  "$ws;tls;sni=example.com;ca=$pki/ca.crt;0rtt;threads=1|$ws;tls;$cert;log=debug|[ws][tls][plain]"
  "tls;sni=example.com;ca=$pki/ca.crt;0rtt;threads=1|tls;$cert;log=debug|[tls][plain]"
)
for i in "${!cases[@]}"; do
  IFS='|' read -r c_opts s_opts layers <<<"${cases[$i]}"
  for attempt in 1 2 3; do
    check_budget
    status=0
    run_case "$c_opts" "$s_opts" "$layers" "$((i + 1))-$attempt" || status=$?
    [[ $status -eq 0 ]] && break
    [[ $status -eq 3 && $attempt -lt 3 ]] || fail "case $((i + 1)): ss-server or ss-local exited early"
    echo "case $((i + 1)): a process exited early (port collision?), retrying"
  done
done
check_budget
echo "PASS: shadowsocks-libev with the tls and wss layers (${SECONDS}s)"

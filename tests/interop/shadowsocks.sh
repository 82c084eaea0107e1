# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154  # set here for the scripts; lib.sh sets work, pids, ...
# shadowsocks-libev as the SIP003 host, shared by shadowsocks_test.sh,
# shadowsocks_ws_test.sh and wss_shadowsocks_test.sh; sourced after lib.sh and kmr_init.
# ss-server and ss-local start the plugins themselves (SS_* variables, ports they pick);
# curl moves 16 MiB down and 16 MiB up through the SOCKS5 port to a local HTTP server,
# and both are checked with sha256sum.

readonly ss_method=chacha20-ietf-poly1305
readonly ss_password=kaminari-interop-test

# ss_setup: checks the tools, names the peer, and starts the origin (an HTTP server with
# GET for the download and PUT for uploads); sets http_port.
ss_setup() {
  need_tool ss-server shadowsocks-libev
  need_tool ss-local shadowsocks-libev
  need_tool curl curl
  echo "peer: $(ss-server -h 2>&1 | grep -m1 -i 'shadowsocks-libev' || echo ss-server)$(dpkg-query -W -f=' (Debian ${Version})' shadowsocks-libev 2>/dev/null || true)"
  mkdir -p "$work/www"
  cp "$work/down.src" "$work/www/file"
  kmr_start http python3 "$kmr_peer_py" http --port-file "$work/http.port" --dir "$work/www"
  wait_file "$last_pid" "$work/http.port" "the HTTP server (tcp_peer.py http)"
  http_port=$(<"$work/http.port")
}

# ss_transfer <tag> <name> <client plugin> <client options> <server plugin> <server options>:
# starts ss-server and ss-local (logs: ss-server-<tag>.log, ss-local-<tag>.log), downloads
# (retried until the chain is up) and uploads through SOCKS5, and checks both. Leaves the
# two running for the caller's log checks (ss_server_pid, ss_local_pid; ss_stop ends
# them). Returns 3 if a process died early (a port taken between free_port and bind):
# ss_run_cases then retries with new ports.
ss_transfer() {
  local tag=$1 name=$2 c_plugin=$3 c_opts=$4 s_plugin=$5 s_opts=$6 ss_port socks_port deadline got
  ss_port=$(free_port)
  socks_port=$(free_port)
  echo "case $name: ss-server on 127.0.0.1:$ss_port, ss-local SOCKS on 127.0.0.1:$socks_port"
  echo "  ss-local plugin-opts:  $c_opts"
  echo "  ss-server plugin-opts: $s_opts"
  kmr_start "ss-server-$tag" ss-server -s 127.0.0.1 -p "$ss_port" -k "$ss_password" -m "$ss_method" -v \
    --plugin "$s_plugin" --plugin-opts "$s_opts"
  ss_server_pid=$last_pid
  kmr_start "ss-local-$tag" ss-local -s 127.0.0.1 -p "$ss_port" -b 127.0.0.1 -l "$socks_port" \
    -k "$ss_password" -m "$ss_method" -v --plugin "$c_plugin" --plugin-opts "$c_opts"
  ss_local_pid=$last_pid

  rm -f "$work/got-$tag"
  deadline=$((SECONDS + ready_seconds))
  until curl -sS --fail --max-time 15 --socks5-hostname "127.0.0.1:$socks_port" \
    "http://127.0.0.1:$http_port/file" -o "$work/got-$tag" 2>>"$work/curl-$tag.log"; do
    kill -0 "$ss_server_pid" 2>/dev/null && kill -0 "$ss_local_pid" 2>/dev/null || return 3
    ((SECONDS < deadline)) || fail "case $name: no successful download within ${ready_seconds}s"
    sleep 0.2
  done
  got=$(sha256sum <"$work/got-$tag" | cut -d' ' -f1)
  [[ $got == "$down_sha" ]] ||
    fail "case $name: download corrupted ($(stat -c %s "$work/got-$tag") bytes, sha256 $got, want $down_sha)"
  rm -f "$work/got-$tag"

  # The chain is up now, so one attempt.
  curl -sS --fail --max-time 20 --socks5-hostname "127.0.0.1:$socks_port" -H 'Expect:' \
    -T "$work/up.src" "http://127.0.0.1:$http_port/up-$tag" -o /dev/null 2>>"$work/curl-$tag.log" ||
    fail "case $name: the 16 MiB upload failed (see curl-$tag.log)"
  got=$(sha256sum <"$work/www/up-$tag" | cut -d' ' -f1)
  [[ $got == "$up_sha" ]] ||
    fail "case $name: upload corrupted ($(stat -c %s "$work/www/up-$tag") bytes, sha256 $got, want $up_sha)"
  rm -f "$work/www/up-$tag"
}

ss_stop() {
  stop_pid "$ss_local_pid"
  stop_pid "$ss_server_pid"
}

# ss_run_cases <function> <case>...: runs `<function> <case> <tag>` for each case (tags
# <number>-<attempt>), with up to 3 attempts when it returns 3 (a process exited early).
ss_run_cases() {
  local run=$1 i attempt status
  shift
  local cases=("$@")
  for i in "${!cases[@]}"; do
    for attempt in 1 2 3; do
      check_budget
      status=0
      "$run" "${cases[$i]}" "$((i + 1))-$attempt" || status=$?
      [[ $status -eq 0 ]] && break
      [[ $status -eq 3 && $attempt -lt 3 ]] || fail "case $((i + 1)): ss-server or ss-local exited early"
      echo "case $((i + 1)): a process exited early (port collision?), retrying"
    done
  done
  check_budget
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop with shadowsocks-libev as a SIP003 host: ss-local and ss-server start
# kaminaric and kaminaris themselves (with SS_* variables and ports they pick), and a
# 16 MiB file fetched through the SOCKS5 port must arrive byte for byte.
#
# usage: shadowsocks_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs ss-server, ss-local, curl, python3 (scripts/install-deps.sh); fails if missing.
# KMR_KEEP_WORK=1 keeps the temp dir (logs, downloaded file) for a post-mortem.
set -euo pipefail

readonly budget_seconds=60        # the whole script
readonly ready_seconds=20         # one tunnel becoming ready
readonly method=chacha20-ietf-poly1305
readonly password=kaminari-interop-test

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || fail "usage: $0 <kaminaric> <kaminaris>"
client_bin=$(realpath "$1")
server_bin=$(realpath "$2")
[[ -x $client_bin ]] || fail "kaminaric not executable: $client_bin"
[[ -x $server_bin ]] || fail "kaminaris not executable: $server_bin"
for tool in ss-server ss-local curl python3 sha256sum; do
  command -v "$tool" >/dev/null ||
    fail "'$tool' is missing: run scripts/install-deps.sh (shadowsocks-libev, curl, python3)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kmr-ss-interop.XXXXXX")
pids=()  # only processes this script started, killed by PID in cleanup

# Every descendant of a PID (ss-libev starts the plugin, possibly through sh -c).
descendants() {
  local child
  # shellcheck disable=SC2013  # the file holds space-separated PIDs: words are wanted
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stop_pid() {
  local pid=$1 orphans i
  kill -0 "$pid" 2>/dev/null || return 0
  # Collected first: once ss-libev is gone, its plugin would be hard to find.
  orphans=$(descendants "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for pid in $orphans; do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

print_logs() {
  local log
  for log in "$work"/*.log; do
    [[ -f $log ]] || continue
    echo "----- $(basename "$log")" >&2
    tail -n 60 "$log" >&2
  done
}

cleanup() {
  local status=$?
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if [[ $status -ne 0 ]]; then
    print_logs
  fi
  if [[ -n ${KMR_KEEP_WORK:-} ]]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

check_budget() {
  ((SECONDS < budget_seconds)) || fail "over the ${budget_seconds}s budget"
}

# --- the origin: a static HTTP server with a 16 MiB random file
mkdir -p "$work/www"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$work/www/file"
expected=$(sha256sum <"$work/www/file" | cut -d' ' -f1)

http_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$http_port" >"$work/http.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 10))
until curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/file"; do
  ((SECONDS < deadline)) || fail "the HTTP server did not come up on port $http_port"
  sleep 0.1
done

# Starts ss-server and ss-local with the plugins, then fetches the file through SOCKS5
# until it works or the ready deadline passes. Returns 3 if a process died early (a
# port taken between free_port and bind): the caller retries with new ports.
run_case() {
  local opts=$1 tag=$2 ss_port socks_port server_pid local_pid deadline
  ss_port=$(free_port)
  socks_port=$(free_port)
  echo "case [$opts]: ss-server on 127.0.0.1:$ss_port, ss-local SOCKS on 127.0.0.1:$socks_port"

  ss-server -s 127.0.0.1 -p "$ss_port" -k "$password" -m "$method" -v \
    --plugin "$server_bin" --plugin-opts "$opts" >"$work/ss-server-$tag.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  ss-local -s 127.0.0.1 -p "$ss_port" -b 127.0.0.1 -l "$socks_port" -k "$password" -m "$method" -v \
    --plugin "$client_bin" --plugin-opts "$opts" >"$work/ss-local-$tag.log" 2>&1 &
  local_pid=$!
  pids+=("$local_pid")

  rm -f "$work/out"
  deadline=$((SECONDS + ready_seconds))
  until curl -sS --fail --max-time 15 --socks5-hostname "127.0.0.1:$socks_port" \
    "http://127.0.0.1:$http_port/file" -o "$work/out" 2>>"$work/curl-$tag.log"; do
    kill -0 "$server_pid" 2>/dev/null && kill -0 "$local_pid" 2>/dev/null || return 3
    ((SECONDS < deadline)) || fail "case [$opts]: no successful download within ${ready_seconds}s"
    sleep 0.2
  done

  local got
  got=$(sha256sum <"$work/out" | cut -d' ' -f1)
  [[ $got == "$expected" ]] ||
    fail "case [$opts]: downloaded file differs ($(stat -c %s "$work/out") bytes, sha256 $got, want $expected)"
  # The plugins really carried the traffic: each printed its banner into ss-libev's log.
  grep -q '^kaminaris ' "$work/ss-server-$tag.log" || fail "case [$opts]: no kaminaris banner in ss-server's log"
  grep -q '^kaminaric ' "$work/ss-local-$tag.log" || fail "case [$opts]: no kaminaric banner in ss-local's log"
  if [[ $opts == *threads=1* ]]; then  # SS_PLUGIN_OPTIONS reached both plugins
    grep -qx 'threads: 1' "$work/ss-server-$tag.log" || fail "case [$opts]: kaminaris ignored the options"
    grep -qx 'threads: 1' "$work/ss-local-$tag.log" || fail "case [$opts]: kaminaric ignored the options"
  fi

  stop_pid "$local_pid"
  stop_pid "$server_pid"
  echo "case [$opts]: OK, 16 MiB sha256 $got"
}

cases=("" "threads=1;log=debug")
for i in "${!cases[@]}"; do
  for attempt in 1 2 3; do
    check_budget
    status=0
    run_case "${cases[$i]}" "$i-$attempt" || status=$?
    [[ $status -eq 0 ]] && break
    [[ $status -eq 3 && $attempt -lt 3 ]] || fail "case [${cases[$i]}]: ss-server or ss-local exited early"
    echo "case [${cases[$i]}]: a process exited early (port collision?), retrying"
  done
done
check_budget
echo "PASS: shadowsocks-libev interop (${SECONDS}s)"

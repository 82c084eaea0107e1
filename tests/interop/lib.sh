# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034  # variables set here are read by the test scripts
# Shared helpers of the interop tests (tests/interop/*_test.sh); sourced, never run.
#
# A script sets `budget_seconds` (and may set `ready_seconds`), then calls
# `kmr_init <name> "$@"`, which checks the two binaries, makes the temp dir `$work` and
# installs the trap. Processes started with `kmr_start` are the only ones ever killed
# (by PID, with their descendants); logs are printed when the script fails.
# KMR_KEEP_WORK=1 keeps the temp dir (logs, transferred files) for a post-mortem.

: "${budget_seconds:=60}"  # the whole script
: "${ready_seconds:=20}"   # one process becoming ready
kmr_interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly kmr_interop_dir
readonly kmr_peer_py="$kmr_interop_dir/tcp_peer.py"
readonly kmr_transfer_bytes=$((16 * 1024 * 1024))

pids=()        # only processes this script started
last_pid=""    # set by kmr_start
work=""

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# need_tool <command> <Debian package>: a missing peer is a failure, never a skip.
need_tool() {
  command -v "$1" >/dev/null ||
    fail "'$1' is missing: install the Debian package '$2' (scripts/install-deps.sh --test)"
}

# Every descendant of a PID (a SIP003 host starts its plugin, possibly through sh -c).
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
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  orphans=$(descendants "$pid")  # collected first: once the parent is gone they are hard to find
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
    tail -n 80 "$log" >&2
  done
}

kmr_cleanup() {
  local status=$?
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if [[ $status -ne 0 && -n $work ]]; then
    print_logs
  fi
  if [[ -n $work ]]; then
    if [[ -n ${KMR_KEEP_WORK:-} ]]; then
      echo "kept $work" >&2
    else
      rm -rf "$work"
    fi
  fi
  exit "$status"
}

# kmr_init <name> <kaminaric> <kaminaris>: sets client_bin, server_bin, work, the trap,
# and two 16 MiB random files: $work/up.src (sent by the near end) and $work/down.src
# (sent by the far end), with their sha256 in up_sha and down_sha.
kmr_init() {
  local name=$1
  shift
  [[ $# -eq 2 ]] || fail "usage: $0 <kaminaric> <kaminaris>"
  client_bin=$(realpath "$1")
  server_bin=$(realpath "$2")
  [[ -x $client_bin ]] || fail "kaminaric not executable: $client_bin"
  [[ -x $server_bin ]] || fail "kaminaris not executable: $server_bin"
  need_tool python3 python3
  need_tool sha256sum coreutils
  [[ -f $kmr_peer_py ]] || fail "missing $kmr_peer_py"
  work=$(mktemp -d "${TMPDIR:-/tmp}/kmr-$name.XXXXXX")
  trap kmr_cleanup EXIT
  head -c "$kmr_transfer_bytes" /dev/urandom >"$work/up.src"
  head -c "$kmr_transfer_bytes" /dev/urandom >"$work/down.src"
  up_sha=$(sha256sum <"$work/up.src" | cut -d' ' -f1)
  down_sha=$(sha256sum <"$work/down.src" | cut -d' ' -f1)
  mkdir -p "$work/far"
}

check_budget() {
  ((SECONDS < budget_seconds)) || fail "over the ${budget_seconds}s budget"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# kmr_start <log name> <command...>: runs it in the background, output in $work/<name>.log.
kmr_start() {
  local log=$1
  shift
  "$@" >"$work/$log.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

# kmr_start_env <log name> <VAR=value...> -- <command...>
kmr_start_env() {
  local log=$1
  shift
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  env "${vars[@]}" "$@" >"$work/$log.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}

# wait_banner_port <pid> <log name> <regex> <what>: waits for the first log line matching
# <regex> and prints the last ":<port>" in it. Fails if the process exits first or the
# deadline passes.
wait_banner_port() {
  local pid=$1 log="$work/$2.log" pattern=$3 what=$4 deadline=$((SECONDS + ready_seconds)) port
  while :; do
    port=$(grep -m1 -E "$pattern" "$log" 2>/dev/null | grep -oE ':[0-9]+' | tail -n1 || true)
    if [[ -n $port ]]; then
      echo "${port#:}"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "$2 exited before it was ready (see $2.log)"
    ((SECONDS < deadline)) || fail "$2 printed no '$what' line within ${ready_seconds}s"
    sleep 0.05
  done
}

# wait_listen <pid> <log name>: waits for a kaminari banner's "listen: <addr>" line and
# prints the port.
wait_listen() { wait_banner_port "$1" "$2" '^listen: ' 'listen:'; }

# wait_port <pid> <port> <what>: waits until 127.0.0.1:<port> accepts a connection.
# Returns 3 if the process exited first (a port taken between free_port and its bind:
# the caller may retry with another port).
wait_port() {
  local pid=$1 port=$2 what=$3 deadline=$((SECONDS + ready_seconds))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 3
    ((SECONDS < deadline)) || fail "$what is not accepting on 127.0.0.1:$port after ${ready_seconds}s"
    sleep 0.05
  done
}

# wait_file <pid> <file> <what>: waits for a file a process writes once it is ready.
wait_file() {
  local pid=$1 file=$2 what=$3 deadline=$((SECONDS + ready_seconds))
  until [[ -s $file ]]; do
    kill -0 "$pid" 2>/dev/null || fail "$what exited before it was ready"
    ((SECONDS < deadline)) || fail "$what not ready after ${ready_seconds}s"
    sleep 0.05
  done
}

# start_far_end: the tcp_peer.py server behind the tunnel; sets far_port.
start_far_end() {
  kmr_start far-end python3 "$kmr_peer_py" serve --port-file "$work/far.port" \
    --source "$work/down.src" --out-dir "$work/far"
  wait_file "$last_pid" "$work/far.port" "the far end (tcp_peer.py serve)"
  far_port=$(<"$work/far.port")
}

# start_kaminaris <options>: kaminaris in front of the far end (start_far_end first), in
# the background with log name "kaminaris"; sets kaminaris_pid and kaminaris_port.
start_kaminaris() {
  kmr_start kaminaris "$server_bin" 127.0.0.1:0 "127.0.0.1:$far_port" "$1"
  kaminaris_pid=$last_pid
  kaminaris_port=$(wait_listen "$kaminaris_pid" kaminaris)
}

# duplex_check <label> <port>: one connection to 127.0.0.1:<port> (the near side of a
# tunnel to the far end) carries 16 MiB each way at the same time; both directions are
# checked with sha256sum. Retries the connection (not the check) while the far side of
# the tunnel may still be coming up, within ready_seconds.
duplex_check() {
  local label=$1 port=$2 tag deadline got_up got_down
  tag=$(echo "$label" | tr -c 'A-Za-z0-9_-' '_')
  deadline=$((SECONDS + ready_seconds))
  rm -f "$work/$tag.down" "$work/far/$tag"
  local started=$SECONDS
  until python3 "$kmr_peer_py" duplex 127.0.0.1 "$port" --tag "$tag" \
    --send "$work/up.src" --recv "$work/$tag.down" 2>>"$work/client-$tag.log"; do
    # Only a connection that never got going may be retried; corruption is never retried.
    if [[ -f $work/far/$tag ]] || ((SECONDS >= deadline)); then
      fail "$label: the 16 MiB duplex transfer failed (see client-$tag.log)"
    fi
    echo "$label: not through yet, retrying" >&2
    rm -f "$work/$tag.down"
    sleep 0.3
  done
  got_down=$(sha256sum <"$work/$tag.down" | cut -d' ' -f1)
  got_up=$(sha256sum <"$work/far/$tag" | cut -d' ' -f1)
  [[ $got_up == "$up_sha" ]] ||
    fail "$label: upload corrupted ($(stat -c %s "$work/far/$tag") bytes, sha256 $got_up, want $up_sha)"
  [[ $got_down == "$down_sha" ]] ||
    fail "$label: download corrupted ($(stat -c %s "$work/$tag.down") bytes, sha256 $got_down, want $down_sha)"
  rm -f "$work/$tag.down" "$work/far/$tag"
  echo "$label: OK, 16 MiB each way, sha256 checked ($((SECONDS - started))s)"
}

# halfclose_check <label> <port> [answer-optional]: sends 16 MiB then ends its sending
# side; the far end must get every byte (sha256-checked) and see the end of stream. By
# default its answer must come back after that (half-close end to end). With
# answer-optional, the connection may instead end there (a proxy such as nginx ends both
# directions at the first end of stream); it must not hang either way.
halfclose_check() {
  local label=$1 port=$2 mode=${3:-strict} tag got out deadline
  local flags=()
  [[ $mode == answer-optional ]] && flags=(--answer-optional)
  tag=$(echo "$label" | tr -c 'A-Za-z0-9_-' '_')
  rm -f "$work/far/$tag" "$work/far/$tag.done"
  out=$(python3 "$kmr_peer_py" halfclose 127.0.0.1 "$port" --tag "$tag" --send "$work/up.src" \
    "${flags[@]}" 2>>"$work/client-$tag.log") || fail "$label: half-close transfer failed (see client-$tag.log)"
  deadline=$((SECONDS + ready_seconds))
  until [[ -s $work/far/$tag.done ]]; do  # written once the far end has stored everything
    ((SECONDS < deadline)) || fail "$label: the far end never saw the end of stream"
    sleep 0.05
  done
  got=$(sha256sum <"$work/far/$tag" | cut -d' ' -f1)
  [[ $got == "$up_sha" ]] ||
    fail "$label: upload corrupted ($(stat -c %s "$work/far/$tag") bytes, sha256 $got, want $up_sha)"
  rm -f "$work/far/$tag" "$work/far/$tag.done"
  if [[ $out == "no answer" ]]; then
    echo "$label: OK, 16 MiB then end of stream; the connection then ended without the answer"
  else
    echo "$label: OK, 16 MiB then end of stream, the answer came back after it"
  fi
}

# download_check <label> <port>: the far end sends 16 MiB and then ends its stream; all
# of it must arrive (sha256-checked) before the end of stream reaches the near end.
download_check() {
  local label=$1 port=$2 tag got
  tag=$(echo "$label" | tr -c 'A-Za-z0-9_-' '_')
  rm -f "$work/$tag.down"
  python3 "$kmr_peer_py" download 127.0.0.1 "$port" --size "$kmr_transfer_bytes" --recv "$work/$tag.down" \
    2>>"$work/client-$tag.log" || fail "$label: download failed (see client-$tag.log)"
  got=$(sha256sum <"$work/$tag.down" | cut -d' ' -f1)
  [[ $got == "$down_sha" ]] ||
    fail "$label: download lost or corrupted ($(stat -c %s "$work/$tag.down") of $kmr_transfer_bytes bytes, sha256 $got, want $down_sha)"
  rm -f "$work/$tag.down"
  echo "$label: OK, 16 MiB then end of stream, all of it delivered"
}

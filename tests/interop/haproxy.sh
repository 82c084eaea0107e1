# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154  # set here for the scripts; lib.sh sets work, ...
# haproxy for the interop scripts (sourced after lib.sh and kmr_init): finds the binary
# and runs it in the foreground (-db) as this user, root included (no user/group
# directive, so it never switches), with its configuration, stats socket and log in the
# temp dir.

# haproxy_setup: sets haproxy_bin and names the peer; a missing haproxy is a failure.
haproxy_setup() {
  haproxy_bin=$(command -v haproxy || true)
  [[ -n $haproxy_bin ]] || haproxy_bin=/usr/sbin/haproxy  # /usr/sbin may not be in PATH
  [[ -x $haproxy_bin ]] ||
    fail "haproxy is missing: install the Debian package 'haproxy' (scripts/install-deps.sh --test)"
  echo "peer: $("$haproxy_bin" -v 2>&1 | head -n1)$(dpkg-query -W -f=' (Debian ${Version})' haproxy 2>/dev/null || true)"
}

# haproxy_global: the global and defaults sections every test configuration starts with.
# The log goes to haproxy's stdout, that is $work/<name>.log.
haproxy_global() {
  cat <<EOF
global
    stats socket $work/haproxy.sock mode 600 level admin
    log stdout format raw local0 info

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch

EOF
}

# start_haproxy <name> <count> <writer>: picks <count> distinct free ports into
# haproxy_ports, runs "<writer>" (which prints the configuration and may use them) into
# $work/<name>.cfg, checks it and starts haproxy, waiting until every port accepts.
# Retried with other ports on a collision. Sets haproxy_pid.
start_haproxy() {
  local name=$1 count=$2 writer=$3 attempt port ready status
  for attempt in 1 2 3; do
    # All bound at once, so distinct; free again when the helper exits.
    mapfile -t haproxy_ports < <(python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])' "$count")
    ((${#haproxy_ports[@]} == count)) || fail "no $count free ports"
    "$writer" >"$work/$name.cfg"
    "$haproxy_bin" -c -f "$work/$name.cfg" >"$work/$name-c.log" 2>&1 ||
      fail "haproxy rejects $name.cfg (see $name-c.log)"
    rm -f "$work/haproxy.sock"
    kmr_start "$name-$attempt" "$haproxy_bin" -db -f "$work/$name.cfg"
    haproxy_pid=$last_pid
    haproxy_log="$work/$name-$attempt.log"
    ready=1
    for port in "${haproxy_ports[@]}"; do
      status=0
      wait_port "$haproxy_pid" "$port" haproxy || status=$?
      ((status == 0)) || { ready=0; break; }
    done
    ((ready)) && return 0
    echo "haproxy exited early (port collision?), retrying" >&2
  done
  fail "haproxy did not start (see $name-*.log)"
}

# haproxy_command <command>: the answer of haproxy's stats socket (socat).
haproxy_command() {
  echo "$1" | socat -t 2 - "UNIX-CONNECT:$work/haproxy.sock"
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# v2ray-plugin for the interop scripts (sourced after lib.sh and kmr_init): finds the
# binary (failing, never skipping, when it is missing), and starts it standalone through
# its SIP003 variables. Also the check/observe pair both v2ray scripts report through.

v2ray_bin=$(command -v ss-v2ray-plugin || command -v v2ray-plugin || true)
[[ -n $v2ray_bin ]] ||
  fail "neither ss-v2ray-plugin nor v2ray-plugin is installed: install the Debian package 'shadowsocks-v2ray-plugin' (scripts/install-deps.sh --test)"
echo "peer: $v2ray_bin ($(dpkg-query -W -f='shadowsocks-v2ray-plugin ${Version}' shadowsocks-v2ray-plugin 2>/dev/null ||
  "$v2ray_bin" -version 2>&1 | head -n1))"

failed=()
# check <function> <label> <args...>: runs one check in a subshell (its `fail` ends only
# the check) and records a failure; the processes and the temp dir stay for the rest.
check() {
  local fn=$1 label=$2
  shift 2
  check_budget
  # Started as a job and waited for, because in an `if` or `||` context bash would turn
  # off `set -e` inside the check.
  ("$fn" "$label" "$@") &
  wait "$!" || failed+=("$label")
}

# observe <function> <label> <args...>: like check, for a known peer limitation: the
# outcome is reported, never counted as our failure.
observed=()
observe() {
  local fn=$1 label=$2
  shift 2
  check_budget
  ("$fn" "$label" "$@") &
  if wait "$!"; then observed+=("intact: $label"); else observed+=("tail lost (v2ray-plugin limitation): $label"); fi
}

# start_v2ray <log name> client|server <options> <target port>: v2ray-plugin as a SIP003
# plugin on a free port, retried on a port collision. Sets v2ray_port and v2ray_pid.
#   client: listens on SS_LOCAL_*, connects to SS_REMOTE_* (= target port)
#   server: listens on SS_REMOTE_*, forwards to SS_LOCAL_* (= target port)
start_v2ray() {
  local log=$1 role=$2 opts=$3 target_port=$4 attempt status
  for attempt in 1 2 3; do
    v2ray_port=$(free_port)
    if [[ $role == client ]]; then
      kmr_start_env "$log-$attempt" SS_LOCAL_HOST=127.0.0.1 SS_LOCAL_PORT="$v2ray_port" \
        SS_REMOTE_HOST=127.0.0.1 SS_REMOTE_PORT="$target_port" SS_PLUGIN_OPTIONS="$opts" -- "$v2ray_bin"
    else
      kmr_start_env "$log-$attempt" SS_LOCAL_HOST=127.0.0.1 SS_LOCAL_PORT="$target_port" \
        SS_REMOTE_HOST=127.0.0.1 SS_REMOTE_PORT="$v2ray_port" SS_PLUGIN_OPTIONS="$opts" -- "$v2ray_bin"
    fi
    v2ray_pid=$last_pid
    status=0
    wait_port "$v2ray_pid" "$v2ray_port" "v2ray-plugin $role" || status=$?
    [[ $status -eq 0 ]] && return 0
    echo "v2ray-plugin $role exited early (port collision?), retrying" >&2
  done
  fail "v2ray-plugin $role did not start (see $log-*.log)"
}

# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154  # set here for the scripts; lib.sh sets work, ...
# The PROXY protocol ends of proxy_peer.py for the interop scripts (sourced after lib.sh
# and kmr_init).

readonly proxy_peer_py="$kmr_interop_dir/proxy_peer.py"

# start_capture <name>: proxy_peer.py capture, the remote that records the PROXY header
# each connection starts with (into $work/<name>.txt) and echoes the rest; sets
# capture_port.
start_capture() {
  kmr_start "$1" python3 "$proxy_peer_py" capture --port-file "$work/$1.port" --log "$work/$1.txt"
  wait_file "$last_pid" "$work/$1.port" "the capture server ($1)"
  capture_port=$(<"$work/$1.port")
}

# start_http_capture <name>: proxy_peer.py http-capture, an HTTP server that records each
# request's X-Client header (into $work/<name>.txt); sets http_capture_port.
start_http_capture() {
  kmr_start "$1" python3 "$proxy_peer_py" http-capture --port-file "$work/$1.port" --log "$work/$1.txt"
  wait_file "$last_pid" "$work/$1.port" "the HTTP capture server ($1)"
  http_capture_port=$(<"$work/$1.port")
}

# captured <capture name> <tag>: the PROXY header the capture server recorded for <tag>.
captured() {
  awk -v tag="$2" '$1 == tag { $1 = ""; sub(/^ /, ""); print; exit }' "$work/$1.txt"
}

# app_connect <port> <tag>: one application connection from 127.0.0.9 (not any hop's
# address) through 127.0.0.1:<port>, echo-checked; prints the address it came from.
app_connect() {
  local out
  out=$(python3 "$proxy_peer_py" clients 127.0.0.1 "$1" --source 127.0.0.9 --tag "$2" --count 1 \
    2>>"$work/clients.log") || fail "$2: the application's connection through port $1 failed (see clients.log)"
  out=$(head -n1 <<<"$out")
  echo "${out#* }"
}

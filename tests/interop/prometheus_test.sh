#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# metrics= against a real Prometheus server (Debian's prometheus package, started here on
# loopback with a generated config, no service) and its promtool:
#   - a kaminaric -> kaminaris pair over wss, both with metrics=127.0.0.1:<port>, is
#     scraped every second; after N connections (each a known number of bytes each way,
#     through tcp_peer.py), Prometheus's HTTP API must report that
#     kaminari_connections_total went up by exactly N on each side, the
#     completed ends by N, and kaminari_bytes_total by exactly the bytes sent each way;
#     and that the targets are up;
#   - `promtool check metrics` reports nothing on the output of either program, over wss
#     and with uot (whose datagram metrics differ).
#
# usage: prometheus_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs prometheus and promtool (Debian package prometheus), curl, python3.
set -euo pipefail

budget_seconds=120  # read by lib.sh
ready_seconds=30
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kmr_init prometheus "$@"
need_tool prometheus prometheus
need_tool promtool prometheus
need_tool curl curl
echo "peer: $(prometheus --version 2>&1 | head -n1)"

readonly connections=10
readonly payload_bytes=100000
head -c "$payload_bytes" /dev/urandom >"$work/payload"
start_far_end

# wait_metrics <pid> <log name>: the port of the "metrics: http://..." line.
wait_metrics() { wait_banner_port "$1" "$2" '^metrics: http://' 'metrics:'; }

ws="ws;host=example.com;path=/metrics-test"
kmr_start kaminaris "$server_bin" 127.0.0.1:0 "127.0.0.1:$far_port" \
  "$ws;tls;servername=example.com;metrics=127.0.0.1:0;threads=2"
server_pid=$last_pid
server_port=$(wait_listen "$server_pid" kaminaris)
server_metrics=$(wait_metrics "$server_pid" kaminaris)
kmr_start kaminaric "$client_bin" 127.0.0.1:0 "127.0.0.1:$server_port" \
  "$ws;tls;sni=example.com;insecure;metrics=127.0.0.1:0;threads=2"
client_pid=$last_pid
client_port=$(wait_listen "$client_pid" kaminaric)
client_metrics=$(wait_metrics "$client_pid" kaminaric)

# promtool reads the exposition on stdin and prints its complaints; none is expected.
promtool_check() {
  local label=$1 port=$2 out
  curl -sSf "http://127.0.0.1:$port/metrics" >"$work/$label.prom" || fail "$label: GET /metrics failed"
  if ! out=$(promtool check metrics <"$work/$label.prom" 2>&1) || [[ -n $out ]]; then
    fail "$label: promtool check metrics: $out"
  fi
  echo "ok: promtool check metrics reports nothing for $label ($(grep -c '^kaminari_' "$work/$label.prom") samples)"
}

# Prometheus itself, scraping both every second.
start_prometheus() {
  local attempt
  for attempt in 1 2 3; do
    prom_port=$(free_port)
    cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kaminaric
    static_configs: [{targets: ['127.0.0.1:$client_metrics']}]
  - job_name: kaminaris
    static_configs: [{targets: ['127.0.0.1:$server_metrics']}]
EOF
    kmr_start "prometheus-$attempt" prometheus --config.file="$work/prometheus.yml" \
      --storage.tsdb.path="$work/tsdb-$attempt" --web.listen-address="127.0.0.1:$prom_port"
    prom_pid=$last_pid
    if wait_port "$prom_pid" "$prom_port" prometheus; then return 0; fi
  done
  fail "prometheus did not start (see prometheus-*.log)"
}

# query <PromQL>: the single value of an instant query, or "none".
query() {
  curl -sS --max-time 5 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")'
}

# wait_value <PromQL> <expected>: polls until the query gives exactly that, within 20 s.
wait_value() {
  local q=$1 want=$2 got deadline=$((SECONDS + 20))
  while :; do
    got=$(query "$q")
    [[ $got == "$want" ]] && return 0
    ((SECONDS < deadline)) || fail "$q is $got, expected $want"
    sleep 0.5
  done
}

promtool_check kaminaric-wss "$client_metrics"
promtool_check kaminaris-wss "$server_metrics"
start_prometheus
wait_value 'sum(up{job=~"kaminari."})' 2
echo "ok: prometheus scrapes both (up == 1)"
wait_value 'sum(kaminari_connections_total{job="kaminaric"})' 0
wait_value 'sum(kaminari_connections_total{job="kaminaris"})' 0

up_bytes=0
down_bytes=0
for ((i = 0; i < connections; i++)); do
  python3 "$kmr_peer_py" duplex 127.0.0.1 "$client_port" --tag "c$i" --send "$work/payload" \
    --recv "$work/c$i.back" || fail "connection $i through the tunnel failed"
  cmp -s "$work/payload" "$work/far/c$i" || fail "connection $i: the far end received other bytes"
  # What crossed the tunnel: tcp_peer.py's request line and payload up, payload and DONE line down.
  up_bytes=$((up_bytes + ${#payload_bytes} + ${#i} + 10 + payload_bytes))        # "DUPLEX <n> c<i>\n"
  down_bytes=$((down_bytes + payload_bytes + ${#payload_bytes} + 6))              # "DONE <n>\n"
  check_budget
done

for job in kaminaric kaminaris; do
  wait_value "sum(kaminari_connections_total{job=\"$job\"})" "$connections"
  wait_value "sum(kaminari_connections_ended_total{job=\"$job\",reason=\"completed\"})" "$connections"
  wait_value "sum(kaminari_connections_active{job=\"$job\"})" 0
  wait_value "sum(kaminari_bytes_total{job=\"$job\",direction=\"upstream\"})" "$up_bytes"
  wait_value "sum(kaminari_bytes_total{job=\"$job\",direction=\"downstream\"})" "$down_bytes"
  wait_value "sum(kaminari_tls_handshakes_total{job=\"$job\"})" "$connections"
  echo "ok: $job: +$connections connections, $up_bytes bytes up and $down_bytes down, as Prometheus sees them"
done
# Exact, not "at least": a few scrapes later the counts have not moved.
sleep 2
for job in kaminaric kaminaris; do
  wait_value "sum(kaminari_connections_total{job=\"$job\"})" "$connections"
  wait_value "sum(kaminari_bytes_total{job=\"$job\",direction=\"upstream\"})" "$up_bytes"
done

# The uot pair's metrics, through promtool too.
kmr_start kaminaris-uot "$server_bin" 127.0.0.1:0 127.0.0.1:9 "uot;metrics=127.0.0.1:0"
uot_server_metrics=$(wait_metrics "$last_pid" kaminaris-uot)
uot_server_port=$(wait_listen "$last_pid" kaminaris-uot)
kmr_start kaminaric-uot "$client_bin" 127.0.0.1:0 "127.0.0.1:$uot_server_port" "uot;metrics=127.0.0.1:0"
uot_client_metrics=$(wait_metrics "$last_pid" kaminaric-uot)
promtool_check kaminaric-uot "$uot_client_metrics"
promtool_check kaminaris-uot "$uot_server_metrics"
echo "PASS prometheus"

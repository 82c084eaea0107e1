#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# UDP over TCP with a real DNS server, on loopback:
#   dig -UDP-> kaminaric ==uot over wss==> kaminaris -UDP-> dnsmasq
# 1,000 queries, every answer checked against the records dnsmasq was given:
#   - 500 from a new source port each (as a stub resolver sends them): a flow, and a
#     tunnel through TLS and WebSocket, per query;
#   - 500 from one source port: one flow carrying them all, in order.
# dnsmasq runs in the foreground with its own configuration on a free port (never the
# system's instance, if the package started one).
#
# usage: uot_dnsmasq_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs dnsmasq, dig (bind9-dnsutils), python3 (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly queries_fresh=500
readonly queries_one_flow=500
readonly ws_opts="ws;host=example.com;path=/dns"
# DNS flows are one query long: a short udp-timeout frees them soon after.
readonly client_opts="uot;$ws_opts;tls;sni=example.com;insecure;udp-timeout=5;log=debug"
readonly server_opts="uot;$ws_opts;tls;servername=example.com;udp-timeout=5;log=debug"

[[ $# -eq 2 ]] || fail "usage: $0 <kaminaric> <kaminaris>"
client_bin=$(realpath "$1")
server_bin=$(realpath "$2")
[[ -x $client_bin ]] || fail "kaminaric not executable: $client_bin"
[[ -x $server_bin ]] || fail "kaminaris not executable: $server_bin"
need_tool python3 python3
need_tool dig bind9-dnsutils
dnsmasq_bin=$(command -v dnsmasq || true)
[[ -n $dnsmasq_bin ]] || dnsmasq_bin=/usr/sbin/dnsmasq  # /usr/sbin may not be in PATH
[[ -x $dnsmasq_bin ]] || fail "dnsmasq is missing: install the Debian package 'dnsmasq' (scripts/install-deps.sh --test)"
echo "peers: $("$dnsmasq_bin" --version | head -n1); $(dig -v 2>&1)"
work=$(mktemp -d "${TMPDIR:-/tmp}/kmr-uot-dnsmasq.XXXXXX")
trap kmr_cleanup EXIT

# The zone: "name type" -> the answer dig prints (+noall +answer +nottlid, spaces squeezed).
declare -A answers=(
  ["alpha.test A"]="alpha.test. IN A 192.0.2.10"
  ["beta.test A"]="beta.test. IN A 192.0.2.11"
  ["beta.test AAAA"]="beta.test. IN AAAA 2001:db8::11"
  ["gamma.test A"]="gamma.test. IN A 198.51.100.7"
  ["info.test TXT"]='info.test. IN TXT "kaminari uot"'
)
readonly fixed_names=("alpha.test A" "beta.test A" "beta.test AAAA" "gamma.test A" "info.test TXT")

# dig_at <port> [dig options...]: dig against 127.0.0.1:<port>, one try of 2 s per query.
dig_at() {
  local port=$1
  shift
  dig @127.0.0.1 -p "$port" +tries=1 +time=2 +noall +answer +nottlid "$@"
}

# start_dnsmasq: on a free port (retried on a collision); sets dns_port.
start_dnsmasq() {
  local attempt deadline
  for attempt in 1 2 3; do
    dns_port=$(free_port)
    kmr_start dnsmasq "$dnsmasq_bin" --no-daemon --conf-file=/dev/null --port="$dns_port" \
      --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts --no-negcache \
      --user="$(id -un)" --group="$(id -gn)" --pid-file="$work/dnsmasq.pid" --log-facility=- --log-queries \
      --address=/example.test/192.0.2.1 --host-record=alpha.test,192.0.2.10 \
      --host-record=beta.test,192.0.2.11,2001:db8::11 --host-record=gamma.test,198.51.100.7 \
      --txt-record=info.test,"kaminari uot"
    deadline=$((SECONDS + ready_seconds))
    until [[ $(dig_at "$dns_port" ready.example.test A 2>/dev/null) == *192.0.2.1* ]]; do
      kill -0 "$last_pid" 2>/dev/null || continue 2  # the port was taken: try another
      ((SECONDS < deadline)) || fail "dnsmasq did not answer on 127.0.0.1:$dns_port"
      sleep 0.1
    done
    echo "dnsmasq answers on 127.0.0.1:$dns_port"
    return 0
  done
  fail "dnsmasq could not start (see dnsmasq.log)"
}

# make_batch <file> <expected file> <count> <first index>: dig's batch file and the answers.
make_batch() {
  local batch=$1 expected=$2 count=$3 first=$4 i key name type
  : >"$batch"
  : >"$expected"
  for ((i = first; i < first + count; i++)); do
    if ((i % 2 == 0)); then  # a name made up for this query, so no answer can be a stale one
      name="q$i.example.test" type=A
      echo "$name. IN A 192.0.2.1" >>"$expected"
    else
      key=${fixed_names[$(((i / 2) % ${#fixed_names[@]}))]}
      name=${key% *} type=${key#* }
      echo "${answers[$key]}" >>"$expected"
    fi
    echo "$name $type" >>"$batch"
  done
}

# check_batch <label> <expected file> <dig output>
check_batch() {
  local label=$1 expected=$2 got=$3 normalised="$3.normalised"
  tr -s ' \t' ' ' <"$got" >"$normalised"
  if ! diff -q "$expected" "$normalised" >/dev/null; then
    echo "--- $label: expected vs. received (first differences)" >&2
    diff "$expected" "$normalised" | head -n 20 >&2 || true
    fail "$label: $(grep -c . "$normalised" || true) of $(grep -c . "$expected") answers right"
  fi
}

new_flows() { grep -c 'new UDP flow' "$work/kaminaric.log" || true; }

start_dnsmasq
kmr_start kaminaris "$server_bin" 127.0.0.1:0 "127.0.0.1:$dns_port" "$server_opts"
server_port=$(wait_listen "$last_pid" kaminaris)
kmr_start kaminaric "$client_bin" 127.0.0.1:0 "127.0.0.1:$server_port" "$client_opts"
client_port=$(wait_listen "$last_pid" kaminaric)
grep -q '^uot: ' "$work/kaminaric.log" || fail "kaminaric's banner has no uot line"
echo "kaminaric (UDP) 127.0.0.1:$client_port -> kaminaris 127.0.0.1:$server_port (wss) -> dnsmasq"

make_batch "$work/fresh.batch" "$work/fresh.expected" "$queries_fresh" 0
started=$SECONDS
dig_at "$client_port" -f "$work/fresh.batch" >"$work/fresh.got" 2>>"$work/dig.log" || true
check_batch "new source port per query" "$work/fresh.expected" "$work/fresh.got"
flows=$(new_flows)
# dig picks a random port per query; a repeat within udp-timeout joins the open flow.
((flows >= queries_fresh * 9 / 10)) || fail "only $flows flows for $queries_fresh queries from new ports"
echo "new source port per query: OK, $queries_fresh answers checked, $flows flows ($((SECONDS - started))s)"
check_budget

make_batch "$work/one.batch" "$work/one.expected" "$queries_one_flow" "$queries_fresh"
source_port=$(free_port)
started=$SECONDS
dig_at "$client_port" -b "127.0.0.1#$source_port" -f "$work/one.batch" >"$work/one.got" 2>>"$work/dig.log" || true
check_batch "one source port" "$work/one.expected" "$work/one.got"
(($(new_flows) == flows + 1)) || fail "$queries_one_flow queries from one port made $(($(new_flows) - flows)) flows, not 1"
echo "one source port: OK, $queries_one_flow answers checked in one flow ($((SECONDS - started))s)"

# Every query reached dnsmasq once: nothing was duplicated or answered on the way.
seen=$(grep -c 'query\[.*\] q[0-9]*\.example\.test\|query\[.*\] [a-z]*\.test ' "$work/dnsmasq.log" || true)
((seen == queries_fresh + queries_one_flow)) ||
  fail "dnsmasq saw $seen queries, not $((queries_fresh + queries_one_flow))"
check_budget
echo "PASS: uot over wss with dnsmasq and dig, $((queries_fresh + queries_one_flow)) queries (${SECONDS}s)"

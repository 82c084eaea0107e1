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

budget_seconds=120  # read by lib.sh; a guard against hangs, generous for a loaded machine
ready_seconds=20
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"

# shellcheck source=shadowsocks.sh
source "$kmr_interop_dir/shadowsocks.sh"

kmr_init ss-wss-interop "$@"
ss_setup
pki="$work/pki"  # absolute: $work comes from mktemp
kmr_make_pki "$pki"

# run_case <client options|server options|layers> <tag>: our plugins at both ends.
run_case() {
  local c_opts s_opts layers tag=$2 name
  IFS='|' read -r c_opts s_opts layers <<<"$1"
  name="[$c_opts] -> [$s_opts]"
  ss_transfer "$tag" "$name" "$client_bin" "$c_opts" "$server_bin" "$s_opts" || return

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

  ss_stop
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
ss_run_cases run_case "${cases[@]}"
echo "PASS: shadowsocks-libev with the tls and wss layers (${SECONDS}s)"

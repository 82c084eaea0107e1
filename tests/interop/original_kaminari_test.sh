#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop with the original kaminari v0.6.1 (the Rust kaminaric and kaminaris), both
# directions, every transport:
#   (1) our kaminaric   -> their kaminaris -> far end   tcp, ws, tls, wss; ws also with
#                                                       mask=standard and mask=fixed
#   (2) their kaminaric -> our kaminaris   -> far end   tcp, ws, tls, wss; tls also with
#                                                       their 0rtt flag
# Each pair carries the standard duplex transfer (16 MiB each way at once, sha256-checked)
# and three short connections, one after the other, compared byte for byte: 1 byte each
# way; 70000 bytes down then the end of stream; 70000 bytes up then the end of stream,
# with the far end's answer coming back after it (half-close end to end).
# Except with mask=standard and mask=fixed: their server unmasks a frame with a non-zero
# key wrongly once the frame is split across its reads (lightws 0.6.13 restarts the key
# at byte 0 on each read; spec §5.11, defect 1). A 16 MiB upload comes out corrupted
# from the first such split to the end of that frame (the payload XORed with a rotated
# key). So the masked modes carry 16 MiB down (the client's only frame is the request
# line) and uploads that fit in one frame and one read: 1 byte, and 1000 bytes then the
# end of stream, with 1000 bytes down too.
# TLS servers: cert= and key= from pki.sh under tls (our clients verify them with ca=),
# a self-signed servername=example.com under wss (clients with insecure). Their clients
# always need insecure: they trust only their built-in Mozilla roots.
# The 0rtt client talks to its own kaminaris (which accepts early data), whose log must
# show resumed sessions: their client enables early data but never writes any (spec
# §6.2), and every connection must still work.
#
# The original's binaries are x86-64 files kept outside the repository, looked for in
# this order: $KMR_REFERENCE_DIR, <repo root>/../shared/reference/kaminari-0.6.1,
# /work/shared/reference/kaminari-0.6.1. The first directory holding both is used, and
# its SHA256SUMS must match them (a mismatch, or a KMR_REFERENCE_DIR without them, is a
# failure). If none is found, the script prints "SKIPPED: ..." and exits 77, which
# tests/CMakeLists.txt registers as SKIP_RETURN_CODE for this test only, so ctest
# reports it skipped, never passed.
#
# The original's "listen:" line echoes the address it was given (":0" would stay ":0"),
# so it is started on a free_port and waited for with wait_port (retried if the port
# was taken meanwhile); its "connect:"/"accept:" line must show the stack asked for.
#
# usage: original_kaminari_test.sh <path/to/kaminaric> <path/to/kaminaris>
# Needs python3, openssl, sha256sum, cmp (scripts/install-deps.sh --test).
set -euo pipefail

budget_seconds=120  # read by lib.sh
ready_seconds=15
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=pki.sh
source "$kmr_interop_dir/pki.sh"

skip() {
  echo "SKIPPED: $*"
  exit 77
}

# find_reference: sets ref_dir to the first directory holding both original binaries.
find_reference() {
  local dir
  if [[ -n ${KMR_REFERENCE_DIR:-} ]]; then
    [[ -f $KMR_REFERENCE_DIR/kaminaric && -f $KMR_REFERENCE_DIR/kaminaris ]] ||
      fail "KMR_REFERENCE_DIR=$KMR_REFERENCE_DIR holds no kaminaric and kaminaris"
    ref_dir=$(realpath "$KMR_REFERENCE_DIR")
    return 0
  fi
  for dir in "$kmr_interop_dir/../../../shared/reference/kaminari-0.6.1" \
    /work/shared/reference/kaminari-0.6.1; do
    if [[ -f $dir/kaminaric && -f $dir/kaminaris ]]; then
      ref_dir=$(realpath "$dir")
      return 0
    fi
  done
  skip "the original kaminari binaries were not found (set KMR_REFERENCE_DIR)"
}

find_reference
[[ -f $ref_dir/SHA256SUMS ]] || fail "$ref_dir has no SHA256SUMS to check the original's binaries with"
for name in kaminaric kaminaris; do
  grep -Eq "^[0-9a-f]{64} [ *]$name\$" "$ref_dir/SHA256SUMS" || fail "$ref_dir/SHA256SUMS does not list $name"
done
(cd "$ref_dir" && sha256sum --quiet --strict -c SHA256SUMS) >&2 ||
  fail "the original's binaries in $ref_dir do not match their SHA256SUMS"
[[ $(uname -m) == x86_64 ]] || fail "the original's binaries are x86-64; this machine is $(uname -m)"
their_client=$ref_dir/kaminaric
their_server=$ref_dir/kaminaris
[[ -x $their_client && -x $their_server ]] || fail "the original's binaries in $ref_dir are not executable"
echo "peer: the original kaminari v0.6.1 from $ref_dir (sha256 checked)"

kmr_init original-kaminari "$@"
need_tool cmp diffutils
pki="$work/pki"
kmr_make_pki "$pki"
start_far_end

readonly short_bytes=70000  # more than one 8 KiB relay read, one WS frame, one TLS record
head -c 1 "$work/up.src" >"$work/one.src"
head -c 1 "$work/down.src" >"$work/one-down.src"

readonly ws_opts="ws;host=example.com;path=/ws"
readonly cert_opts="tls;cert=$pki/leaf-chain.pem;key=$pki/leaf.key"
readonly self_signed_opts="tls;servername=example.com"
readonly insecure_opts="tls;sni=example.com;insecure"
declare -A port pid

# start_ours <name> <program> <connect to> <options>: one of our programs on a port the
# kernel picks; wait_ours reads it from the banner later, so all of them start at once.
start_ours() {
  kmr_start "$1" "$2" 127.0.0.1:0 "$3" "${4:+$4;}log=debug;threads=2"
  pid[$1]=$last_pid
}
wait_ours() { port[$1]=$(wait_listen "${pid[$1]}" "$1"); }

# start_theirs <name> <program> <connect to> <options> <stack>: one of the original's
# programs on a free port, retried if it exits at once (the port was taken meanwhile).
# Its stdout line ("connect: <stack>" or "accept: <stack>") must show the layers asked for.
start_theirs() {
  local name=$1 program=$2 remote=$3 opts=$4 stack=$5 attempt try_port status
  for attempt in 1 2 3; do
    try_port=$(free_port)
    kmr_start "$name" "$program" "127.0.0.1:$try_port" "$remote" "$opts"
    status=0
    wait_port "$last_pid" "$try_port" "$name" || status=$?
    if [[ $status -eq 0 ]]; then
      port[$name]=$try_port
      pid[$name]=$last_pid
      grep -qxF -e "connect: $stack" -e "accept: $stack" "$work/$name.log" ||
        fail "$name: its banner does not show the stack $stack (see $name.log)"
      return 0
    fi
    echo "$name exited at start (attempt $attempt): $(tail -n 3 "$work/$name.log" | tr '\n' ' ')" >&2
  done
  fail "$name did not start (see $name.log)"
}

# short_checks <label> <port> [bytes]: three short connections, one after the other (see
# the header); [bytes] (default short_bytes) for the download and the half-closed upload.
short_checks() {
  local label=$1 p=$2 size=${3:-$short_bytes} tag out
  tag=$(printf '%s' "$label" | tr -c 'A-Za-z0-9_-' '_')
  local log="$work/client-$tag.log"
  rm -f "$work/far/$tag-1" "$work/$tag-1.down" "$work/$tag-d.down" "$work/far/$tag-h" "$work/far/$tag-h.done"
  python3 "$kmr_peer_py" duplex 127.0.0.1 "$p" --tag "$tag-1" --send "$work/one.src" \
    --recv "$work/$tag-1.down" 2>>"$log" || fail "$label: the 1-byte exchange failed (see client-$tag.log)"
  cmp -s "$work/far/$tag-1" "$work/one.src" || fail "$label: the 1-byte upload arrived wrong"
  cmp -s "$work/$tag-1.down" "$work/one-down.src" || fail "$label: the 1-byte download arrived wrong"
  python3 "$kmr_peer_py" download 127.0.0.1 "$p" --size "$size" --recv "$work/$tag-d.down" \
    2>>"$log" || fail "$label: the short download failed (see client-$tag.log)"
  cmp "$work/$tag-d.down" <(head -c "$size" "$work/down.src") >>"$log" 2>&1 ||
    fail "$label: the short download lost or changed bytes ($(stat -c %s "$work/$tag-d.down") of $size arrived; see client-$tag.log)"
  head -c "$size" "$work/up.src" >"$work/$tag-h.src"
  # halfclose succeeds only after the far end has stored everything and answered.
  out=$(python3 "$kmr_peer_py" halfclose 127.0.0.1 "$p" --tag "$tag-h" --send "$work/$tag-h.src" 2>>"$log") ||
    fail "$label: the short upload with half-close failed (see client-$tag.log)"
  [[ -z $out ]] || fail "$label: the short upload with half-close: $out"
  cmp "$work/far/$tag-h" "$work/$tag-h.src" >>"$log" 2>&1 ||
    fail "$label: the short upload lost or changed bytes (see client-$tag.log)"
  rm -f "$work/far/$tag-1" "$work/$tag-1.down" "$work/$tag-d.down" "$work/$tag-h.src" "$work/far/$tag-h" "$work/far/$tag-h.done"
  echo "$label: OK, 3 short connections (1 B each way; $size B down then end of stream; $size B up then end of stream, answer after it)"
}

# --- direction (2) first: our servers, then their clients towards them.
start_ours ours-s-tcp "$server_bin" "127.0.0.1:$far_port" ""
start_ours ours-s-ws "$server_bin" "127.0.0.1:$far_port" "$ws_opts"
start_ours ours-s-tls "$server_bin" "127.0.0.1:$far_port" "$cert_opts"
start_ours ours-s-tls0rtt "$server_bin" "127.0.0.1:$far_port" "$cert_opts"
start_ours ours-s-wss "$server_bin" "127.0.0.1:$far_port" "$ws_opts;$self_signed_opts"
for name in ours-s-tcp ours-s-ws ours-s-tls ours-s-tls0rtt ours-s-wss; do wait_ours "$name"; done

start_theirs their-c-tcp "$their_client" "127.0.0.1:${port[ours-s-tcp]}" "" "[plain]"
start_theirs their-c-ws "$their_client" "127.0.0.1:${port[ours-s-ws]}" "$ws_opts" "[ws][plain]"
start_theirs their-c-tls "$their_client" "127.0.0.1:${port[ours-s-tls]}" "$insecure_opts" "[tls][plain]"
start_theirs their-c-tls0rtt "$their_client" "127.0.0.1:${port[ours-s-tls0rtt]}" "$insecure_opts;0rtt" "[tls][plain]"
start_theirs their-c-wss "$their_client" "127.0.0.1:${port[ours-s-wss]}" "$ws_opts;$insecure_opts" "[ws][tls][plain]"
grep -q 'early_data: true' "$work/their-c-tls0rtt.log" || fail "their client took no 0rtt (see their-c-tls0rtt.log)"

# --- direction (1): their servers, then our clients towards them.
start_theirs their-s-tcp "$their_server" "127.0.0.1:$far_port" "" "[plain]"
start_theirs their-s-ws "$their_server" "127.0.0.1:$far_port" "$ws_opts" "[ws][plain]"
start_theirs their-s-tls "$their_server" "127.0.0.1:$far_port" "$cert_opts" "[tls][plain]"
start_theirs their-s-wss "$their_server" "127.0.0.1:$far_port" "$ws_opts;$self_signed_opts" "[ws][tls][plain]"

start_ours ours-c-tcp "$client_bin" "127.0.0.1:${port[their-s-tcp]}" ""
start_ours ours-c-ws "$client_bin" "127.0.0.1:${port[their-s-ws]}" "$ws_opts"
start_ours ours-c-ws-standard "$client_bin" "127.0.0.1:${port[their-s-ws]}" "$ws_opts;mask=standard"
start_ours ours-c-ws-fixed "$client_bin" "127.0.0.1:${port[their-s-ws]}" "$ws_opts;mask=fixed"
start_ours ours-c-tls "$client_bin" "127.0.0.1:${port[their-s-tls]}" "tls;sni=example.com;ca=$pki/ca.crt"
start_ours ours-c-wss "$client_bin" "127.0.0.1:${port[their-s-wss]}" "$ws_opts;$insecure_opts"
for name in ours-c-tcp ours-c-ws ours-c-ws-standard ours-c-ws-fixed ours-c-tls ours-c-wss; do wait_ours "$name"; done
echo "started: the far end on $far_port, 11 of ours and 9 of theirs ($((SECONDS))s)"

# --- (1) our kaminaric -> their kaminaris
for t in tcp ws tls wss; do
  check_budget
  duplex_check "ours -> theirs [$t]" "${port[ours-c-$t]}"
  short_checks "ours -> theirs [$t]" "${port[ours-c-$t]}"
done
for t in ws-standard ws-fixed; do  # their unmasking defect: no large uploads (header)
  check_budget
  download_check "ours -> theirs [$t], 16 MiB down then end of stream" "${port[ours-c-$t]}"
  short_checks "ours -> theirs [$t]" "${port[ours-c-$t]}" 1000
done

# --- (2) their kaminaric -> our kaminaris
for t in tcp ws tls tls0rtt wss; do
  check_budget
  duplex_check "theirs -> ours [$t]" "${port[their-c-$t]}"
  short_checks "theirs -> ours [$t]" "${port[their-c-$t]}"
done
# The 0rtt client's later connections resumed its session. Early data is counted, not
# required: the original enables it but never writes any (spec §6.2).
resumed=$(grep -c 'TLS session resumed' "$work/ours-s-tls0rtt.log" || true)
((resumed >= 1)) || fail "their 0rtt client never resumed a session with our kaminaris (see ours-s-tls0rtt.log)"
early=$(grep -c 'TLS early data accepted' "$work/ours-s-tls0rtt.log" || true)
echo "theirs -> ours [tls0rtt]: $resumed of its connections resumed a session, $early of them carried early data"

for name in "${!pid[@]}"; do
  kill -0 "${pid[$name]}" 2>/dev/null || fail "$name died (see $name.log)"
done
for name in "${!pid[@]}"; do
  [[ $name == ours-* ]] || continue
  ! grep -H '^error' "$work/$name.log" || fail "$name logged an error"
done
check_budget
echo "PASS: the original kaminari v0.6.1 both ways, tcp, ws, tls, wss (${SECONDS}s)"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build dependencies, builds, and starts a local demo tunnel pair over wss
# (WebSocket inside TLS, with a self-signed certificate made at start-up):
#
#   app -> kaminaric 127.0.0.1:10000 => wss => kaminaris 127.0.0.1:20000 -> 127.0.0.1:30000
#
# Everything stays on loopback. Ctrl-C stops both ends. Override with the environment:
#   KMR_DEMO_CLIENT_OPTIONS / KMR_DEMO_SERVER_OPTIONS   the option strings
#   KMR_DEMO_CLIENT / KMR_DEMO_SERVER / KMR_DEMO_TARGET   the three addresses
set -euo pipefail
cd "$(dirname "$0")/.."

client_at=${KMR_DEMO_CLIENT:-127.0.0.1:10000}
server_at=${KMR_DEMO_SERVER:-127.0.0.1:20000}
target_at=${KMR_DEMO_TARGET:-127.0.0.1:30000}
ws_options="ws;host=localhost;path=/kaminari"
# The server makes a self-signed certificate for "localhost" at start-up; the client
# cannot know it in advance, so the demo skips verification (insecure). With a real
# certificate, use sni=<name> (and ca=<file> for a private CA) instead.
client_options=${KMR_DEMO_CLIENT_OPTIONS:-"$ws_options;tls;sni=localhost;insecure;0rtt"}
server_options=${KMR_DEMO_SERVER_OPTIONS:-"$ws_options;tls;servername=localhost"}

echo "checking dependencies..."
bash scripts/install-deps.sh
echo "building build/release (the first build takes a few minutes)..."
KMR_BUILD_TESTS=OFF bash scripts/build.sh release >/dev/null
bin=build/release

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$bin/kaminaris" "$server_at" "$target_at" "$server_options" &
pids+=($!)
"$bin/kaminaric" "$client_at" "$server_at" "$client_options" &
pids+=($!)
sleep 0.3
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "the demo pair did not start (see above)" >&2; exit 1; }
done

target_port=${target_at##*:}
cat <<INFO

Kaminari demo tunnel is running:
  kaminaric listens on ${client_at} and carries each connection over wss to kaminaris
  on ${server_at}, which forwards it to ${target_at}.
    kaminaric options: '${client_options}'
    kaminaris options: '${server_options}'

Try it from another terminal:
  python3 -m http.server ${target_port} --bind ${target_at%:*}    # something to reach
  curl http://${client_at}/                                  # through the tunnel

Binaries: $(pwd)/${bin}/kaminaric and kaminaris (--help lists every option).
Press Ctrl-C to stop both.
INFO
wait

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build dependencies, builds, and starts a local demo tunnel pair:
#
#   app -> kaminaric 127.0.0.1:10000 => kaminaris 127.0.0.1:20000 -> 127.0.0.1:30000
#
# Everything stays on loopback. Ctrl-C stops both ends. Override with the environment:
#   KMR_DEMO_OPTIONS   the option string for both ends (default: plain TCP)
#   KMR_DEMO_CLIENT / KMR_DEMO_SERVER / KMR_DEMO_TARGET   the three addresses
set -euo pipefail
cd "$(dirname "$0")/.."

client_at=${KMR_DEMO_CLIENT:-127.0.0.1:10000}
server_at=${KMR_DEMO_SERVER:-127.0.0.1:20000}
target_at=${KMR_DEMO_TARGET:-127.0.0.1:30000}
options=${KMR_DEMO_OPTIONS:-}

bash scripts/install-deps.sh
KMR_BUILD_TESTS=OFF bash scripts/build.sh release >/dev/null
bin=build/release

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$bin/kaminaris" "$server_at" "$target_at" "$options" &
pids+=($!)
"$bin/kaminaric" "$client_at" "$server_at" "$options" &
pids+=($!)
sleep 0.3
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "the demo pair did not start (see above)" >&2; exit 1; }
done

target_port=${target_at##*:}
cat <<INFO

Kaminari demo tunnel is running (options: '${options}'; empty means plain TCP):
  kaminaric listens on ${client_at} and carries each connection to kaminaris on ${server_at},
  which forwards it to ${target_at}.

Try it from another terminal:
  python3 -m http.server ${target_port} --bind ${target_at%:*}    # something to reach
  curl http://${client_at}/                                  # through the tunnel

Binaries: $(pwd)/${bin}/kaminaric and kaminaris (--help lists every option).
Press Ctrl-C to stop both.
INFO
wait

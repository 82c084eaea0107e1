# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2154  # set here for the scripts; lib.sh sets work, ...
# nginx for the interop scripts (sourced after lib.sh and kmr_init; nginx_*_test.sh and
# wss_nginx_test.sh): finds the binary, checks that docs/behind-nginx.md shows the tested
# server block verbatim, and runs nginx in the foreground as this user with a private
# prefix in the temp dir.

readonly nginx_doc="$kmr_interop_dir/../../docs/behind-nginx.md"

# nginx_setup: sets nginx_bin and names the peer; a missing nginx is a failure.
nginx_setup() {
  nginx_bin=$(command -v nginx || true)
  [[ -n $nginx_bin ]] || nginx_bin=/usr/sbin/nginx  # /usr/sbin may not be in PATH
  [[ -x $nginx_bin ]] || fail "nginx is missing: install the Debian package 'nginx' (scripts/install-deps.sh --test)"
  echo "peer: $("$nginx_bin" -v 2>&1)$(dpkg-query -W -f=' (Debian ${Version})' nginx 2>/dev/null || true)"
}

# nginx_check_doc <template> [doc]: the documented configuration is the tested one (the
# doc is docs/behind-nginx.md unless given).
nginx_check_doc() {
  local conf_template=$1 doc=${2:-$nginx_doc}
  [[ -f $conf_template ]] || fail "missing $conf_template"
  [[ -f $doc ]] || fail "missing $doc"
  python3 - "$conf_template" "$doc" <<'PY' || fail "$(basename "$doc") does not contain $(basename "$conf_template") verbatim: update the doc"
import sys
template, doc = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
sys.exit(0 if template in doc else 1)
PY
  echo "$(basename "$doc") contains $(basename "$conf_template") verbatim"
}

# start_nginx <name> <template> <port or ""> <extra http-level directives> <sed expression>...:
# renders the template (its @LISTEN@ from the port, the other placeholders from the sed
# expressions) into the prefix $work/<name> and starts nginx, on the given port or a free
# one (retried on a collision). Sets nginx_port and nginx_pid; the access log is
# $work/<name>-access.log, with the TLS facts of each request.
start_nginx() {
  local name=$1 want_port=$3 expr
  nginx_template=$2
  nginx_extra=$4
  shift 4
  nginx_substitutions=()
  for expr in "$@"; do nginx_substitutions+=(-e "$expr"); done
  nginx_launch "$name" "$want_port" nginx_http_conf
}

# nginx_http_conf <name> <prefix> <port>: start_nginx's writer for nginx_launch.
nginx_http_conf() {
  local name=$1 prefix=$2 port=$3
  sed -e "s|@LISTEN@|127.0.0.1:$port|g" "${nginx_substitutions[@]}" "$nginx_template" >"$prefix/kaminari.conf"
  ! grep -n '@[A-Z_]*@' "$prefix/kaminari.conf" >&2 || fail "a placeholder was left in the rendered config"
  nginx_main_conf "$prefix"
  cat <<EOF
http {
    log_format kmr_tls '\$ssl_protocol alpn=\$ssl_alpn_protocol reused=\$ssl_session_reused status=\$status "\$request"';
    access_log $work/$name-access.log kmr_tls;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    $nginx_extra
    include $prefix/kaminari.conf;
}
EOF
}

# nginx_main_conf <prefix>: the main-context lines every test configuration starts with.
nginx_main_conf() {
  # As root, nginx's workers would switch to "nobody", who cannot enter the private temp
  # dir; keep them as root there. As any other user the directive would only warn.
  [[ $(id -u) -ne 0 ]] || echo "user root;"
  cat <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log stderr info;
events { worker_connections 256; }
EOF
}

# nginx_launch <name> <port or ""> <writer>: runs "<writer> <name> <prefix> <port>",
# which prints the whole nginx.conf, for the prefix $work/<name> and the port (the given
# one or a free one); checks the configuration and starts nginx in the foreground as this
# user, waiting until the port accepts. Retried with another free port on a collision.
# Sets nginx_port and nginx_pid.
nginx_launch() {
  local name=$1 want_port=$2 writer=$3 attempt status prefix
  prefix="$work/$name"
  mkdir -p "$prefix"
  for attempt in 1 2 3; do
    nginx_port=${want_port:-$(free_port)}
    "$writer" "$name" "$prefix" "$nginx_port" >"$prefix/nginx.conf"
    "$nginx_bin" -t -q -e stderr -p "$prefix" -c "$prefix/nginx.conf" >"$work/$name-t.log" 2>&1 ||
      fail "nginx rejects the rendered configuration (see $name-t.log)"
    kmr_start "$name-$attempt" "$nginx_bin" -e stderr -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;'
    nginx_pid=$last_pid
    status=0
    wait_port "$nginx_pid" "$nginx_port" nginx || status=$?
    [[ $status -eq 0 ]] && return 0
    [[ -z $want_port ]] || fail "nginx could not listen on port $want_port again (see $name-$attempt.log)"
    echo "nginx exited early (port collision?), retrying" >&2
  done
  fail "nginx did not start (see $name-*.log)"
}

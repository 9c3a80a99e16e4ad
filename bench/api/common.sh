# Sourced by bench/api/run.sh and bench/api/fleet.sh: a temp folder removed on exit, also on failure or Ctrl-C
# (KEEP_TMP=1 keeps it), the server and nginx the script started stopped with it, and readings of /proc.
SERVER_PID=""
NGINX_PID=""

bench_cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $NGINX_PID ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}

# bench_tmp NAME: sets TMP to a fresh folder named after NAME, cleaned up as above.
bench_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# A field of /proc/PID/status in KiB (VmHWM: the peak resident set), 0 when the process is gone.
kib_field() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The peak resident set of a process and its children (nginx's master and workers), in KiB.
tree_hwm_kib() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do total=$((total + $(kib_field "$pid" VmHWM))); done
  echo "$total"
}

# wait_serving URL PID LOG WHAT [TRIES]: polls URL every 0.1 s until it answers, TRIES times (default 100);
# dies with LOG when the process PID exits first, or when URL never answers. Needs die from the script.
wait_serving() {
  local url=$1 pid=$2 log=$3 what=$4 tries=${5:-100}
  for _ in $(seq "$tries"); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$what exited"; }
    sleep 0.1
  done
  die "$what did not answer $url within $(awk -v t="$tries" 'BEGIN {print t / 10}') s"
}

# start_nginx FILE: nginx in the foreground on a free loopback port, serving a copy of FILE as /findings.json
# (nginx.conf.in: sendfile, no access log, paths in $TMP); sets NGINX_PORT and NGINX_PID once it serves
# the same bytes. Needs ROOT, NGINX and die from the script.
start_nginx() {
  mkdir -p "$TMP/www" "$TMP/nginx"
  cp "$1" "$TMP/www/findings.json"
  NGINX_PORT=$(free_port)
  local user_line=""
  [[ $(id -u) == 0 ]] && user_line="user $(id -un) $(id -gn);"
  sed -e "s|@TMP@|$TMP|g" -e "s|@PORT@|$NGINX_PORT|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" -e "s|@USER@|$user_line|g" \
    "$ROOT/bench/api/nginx.conf.in" >"$TMP/nginx/nginx.conf"
  "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
  NGINX_PID=$!
  wait_serving "http://127.0.0.1:$NGINX_PORT/findings.json" "$NGINX_PID" "$TMP/nginx/error.log" nginx 50
  cmp -s "$TMP/www/findings.json" <(curl -fsS "http://127.0.0.1:$NGINX_PORT/findings.json") ||
    die "nginx does not serve the copied body"
}

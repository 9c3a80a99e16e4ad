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

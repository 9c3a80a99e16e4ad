#!/usr/bin/env bash
# REST API benchmark (issue #7): ingest of a 150,000-pod `kubectl get pods -A -o json` over HTTP (plain and
# gzip), and 64 concurrent readers of an audit's findings, side by side with nginx serving a static file of the
# findings body's size. Builds nothing; see bench/api/README.md for what is measured and the last figures.
#
#   bash bench/api/run.sh [SGAUDIT_BINARY]        default: build-release/service/sgaudit (built by `make bench`)
#
# Environment:
#   SGAUDIT_BENCH_PODS=150000     pods in the generated document
#   SGAUDIT_BENCH_PRETTY=0        compact, one item per line, as the API server sends it and as
#                                 bench_kubectl_parse measures it (1: indented like `kubectl -o json`, ~3x bigger)
#   SGAUDIT_BENCH_GENERATOR=PATH  bench_kubectl_parse to generate it with (default: beside the binary's build
#                                 dir, <build>/bench/bench_kubectl_parse; else bench/api/gen_pods.py)
#   WRK_DURATION=15s WRK_THREADS=2 WRK_CONNECTIONS=64
#   SGAUDIT_BENCH_WORKERS / SGAUDIT_BENCH_IO_THREADS   passed to `sgaudit serve` (its defaults when unset)
#   NGINX_WORKERS=auto            worker_processes of the comparison nginx
#   KEEP_TMP=1                    keep the temp dir (server logs, databases) for a look afterwards
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/build-release/service/sgaudit}
PODS=${SGAUDIT_BENCH_PODS:-150000}
PRETTY=${SGAUDIT_BENCH_PRETTY:-0}
DURATION=${WRK_DURATION:-15s}
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-64}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
SCENARIO=$ROOT/test/data/scenarios/cce-seed

die() { echo "run.sh: $*" >&2; exit 1; }
[[ -x $BIN ]] || die "no sgaudit binary at $BIN (build it with 'make bench', or pass its path as \$1)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
for tool in curl wrk python3 gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $tool)"
done
NGINX=$(command -v nginx || true)
[[ -n $NGINX ]] || die "nginx is missing: install it with 'apt-get install nginx-light' (or 'nginx'); it is not started as a service by this script"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_tmp sgaudit-apibench

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# --- the document -------------------------------------------------------------------------------------------------
DOC=$TMP/pods.json
GEN=${SGAUDIT_BENCH_GENERATOR:-$(dirname "$(dirname "$BIN")")/bench/bench_kubectl_parse}
layout=$([[ $PRETTY == 1 ]] && echo pretty || echo compact)
start=$(date +%s.%N)
if [[ -x $GEN ]]; then
  if [[ $PRETTY == 1 ]]; then "$GEN" --generate "$DOC" "$PODS" pretty >/dev/null; else "$GEN" --generate "$DOC" "$PODS" >/dev/null; fi
  generator="$(basename "$GEN") --generate (bench/generate_kubectl_pods.cpp)"
else
  python3 "$ROOT/bench/api/gen_pods.py" "$DOC" "$PODS" $([[ $PRETTY == 1 ]] && echo pretty)
  generator="bench/api/gen_pods.py"
fi
gzip -6 -c "$DOC" >"$DOC.gz"
DOC_BYTES=$(stat -c %s "$DOC")
GZ_BYTES=$(stat -c %s "$DOC.gz")
printf 'document: %d pods, %s, %.1f MB (gzip -6: %.1f MB), by %s in %.1f s\n' "$PODS" "$layout" \
  "$(awk -v b="$DOC_BYTES" 'BEGIN{print b/1e6}')" "$(awk -v b="$GZ_BYTES" 'BEGIN{print b/1e6}')" "$generator" \
  "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{print e-s}')"

# --- a server on a fresh database -----------------------------------------------------------------------------------
PORT=""
ADMIN=""
READER=""
start_server() {  # $1: label
  local label=$1 db=$TMP/$1.db
  ADMIN=$("$BIN" token create --role admin --name bench-admin --db "$db" --log-level warn 2>>"$TMP/tokens.log")
  READER=$("$BIN" token create --role reader --name bench-reader --db "$db" --log-level warn 2>>"$TMP/tokens.log")
  PORT=$(free_port)
  local args=(serve --listen "127.0.0.1:$PORT" --db "$db" --log-format json --log-level info
              --upload-limit $((4 * 1024 * 1024 * 1024)))
  [[ -n ${SGAUDIT_BENCH_WORKERS:-} ]] && args+=(--workers "$SGAUDIT_BENCH_WORKERS")
  [[ -n ${SGAUDIT_BENCH_IO_THREADS:-} ]] && args+=(--io-threads "$SGAUDIT_BENCH_IO_THREADS")
  "$BIN" "${args[@]}" >"$TMP/server-$label.log" 2>&1 &
  SERVER_PID=$!
  wait_serving "http://127.0.0.1:$PORT/healthz" "$SERVER_PID" "$TMP/server-$label.log" "the server ($label)"
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# POST a file; prints "status seconds". $1 url path, $2 file, $3.. extra curl args. -T streams the file (curl
# does not hold it in memory); 'Expect:' skips the 100-continue round trip.
upload() {
  local path=$1 file=$2
  shift 2
  curl -sS -X POST -T "$file" -H 'Expect:' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    "$@" -o "$TMP/upload-response.json" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$PORT$path"
}

# --- 1. ingest --------------------------------------------------------------------------------------------------
declare -A UP_STATUS UP_SECONDS UP_HWM
ingest() {  # $1 label, $2 file, $3.. extra curl args
  local label=$1 file=$2
  shift 2
  local out
  out=$(upload "/api/v1/clusters/bench/inputs?name=pods.json" "$file" "$@")
  UP_STATUS[$label]=${out%% *}
  UP_SECONDS[$label]=${out##* }
  UP_HWM[$label]=$(kib_field "$SERVER_PID" VmHWM)
  case ${UP_STATUS[$label]} in
    200 | 201) ;;
    *) echo "upload $label answered ${UP_STATUS[$label]}:" >&2; cat "$TMP/upload-response.json" >&2; echo >&2 ;;
  esac
}
echo "ingest: plain upload on a fresh server ..."
start_server ingest-plain
IDLE_KIB=$(kib_field "$SERVER_PID" VmRSS)
ingest plain "$DOC"
echo "ingest: the same bytes again (known by hash: parsed and checked, not stored) ..."
ingest again "$DOC"
DB_BYTES=$(stat -c %s "$TMP/ingest-plain.db")
stop_server
echo "ingest: gzip upload on a fresh server ..."
start_server ingest-gzip
ingest gzip "$DOC.gz" -H 'Content-Encoding: gzip'
stop_server

# --- 2. readers of findings -----------------------------------------------------------------------------------------
echo "findings: seeding the cce-seed scenario ..."
start_server findings
seed() {  # $1 scope path, $2 file under the scenario
  local out
  out=$(upload "/api/v1/$1/inputs?name=cce-seed/$2" "$SCENARIO/$2")
  [[ ${out%% *} == 201 || ${out%% *} == 200 ]] || { cat "$TMP/upload-response.json" >&2; die "seeding $2 answered ${out%% *}"; }
}
for f in cce-cluster.json ecs-servers.json security-groups.json security-group-rules.json vpc.json; do
  seed accounts/huawei "$f"
done
while IFS= read -r f; do
  case $f in
    README.md | policy.json | cce-cluster.json | ecs-servers.json | security-groups.json | security-group-rules.json | vpc.json) ;;
    *) seed clusters/cce "$f" ;;
  esac
done < <(cd "$SCENARIO" && find . -type f | sed 's|^\./||' | sort)
code=$(curl -sS -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data-binary "@$SCENARIO/policy.json" -o "$TMP/policy-response.json" -w '%{http_code}' \
  "http://127.0.0.1:$PORT/api/v1/policies/seed")
[[ $code == 201 ]] || { cat "$TMP/policy-response.json" >&2; die "PUT /api/v1/policies/seed answered $code"; }
code=$(curl -sS -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data-binary '{"cluster":"cce","accounts":["huawei"],"policy":"seed"}' -o "$TMP/audit-response.json" \
  -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/audits")
[[ $code == 201 ]] || { cat "$TMP/audit-response.json" >&2; die "POST /api/v1/audits answered $code"; }
AUDIT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/audit-response.json")
FINDINGS_PATH=/api/v1/audits/$AUDIT_ID/findings
code=$(curl -sS -H "Authorization: Bearer $READER" -D "$TMP/findings-headers.txt" -o "$TMP/findings.json" \
  -w '%{http_code}' "http://127.0.0.1:$PORT$FINDINGS_PATH")
[[ $code == 200 ]] || { cat "$TMP/findings.json" >&2; die "GET $FINDINGS_PATH answered $code"; }
BODY_BYTES=$(stat -c %s "$TMP/findings.json")
FINDINGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$TMP/findings.json")
echo "findings: audit $AUDIT_ID, $FINDINGS findings, body $BODY_BYTES bytes; wrk -t$THREADS -c$CONNECTIONS -d$DURATION ..."

# wrk's summary: requests/s, p50, p99, non-2xx count, socket errors.
run_wrk() {  # $1 label, $2 url
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $READER" "$2" \
    >"$TMP/wrk-$1.txt" 2>&1 || { cat "$TMP/wrk-$1.txt" >&2; die "wrk ($1) failed"; }
}
wrk_field() {  # $1 label, $2 field: rps|p50|p99|non2xx|errors|transfer
  local f=$TMP/wrk-$1.txt
  case $2 in
    rps) awk '/^Requests\/sec:/ {print $2}' "$f" ;;
    p50) awk '$1 == "50%" {print $2}' "$f" ;;
    p99) awk '$1 == "99%" {print $2}' "$f" ;;
    requests) awk '/requests in/ {print $1}' "$f" ;;
    non2xx) awk '/Non-2xx/ {print $NF}' "$f" | grep . || echo 0 ;;
    errors) awk '/Socket errors/ {sub(/^ *Socket errors: */, ""); print}' "$f" | grep . || echo none ;;
    transfer) awk '/^Transfer\/sec:/ {print $2}' "$f" ;;
  esac
}
FIND_IDLE_KIB=$(kib_field "$SERVER_PID" VmRSS)
run_wrk sgaudit "http://127.0.0.1:$PORT$FINDINGS_PATH"
FIND_HWM_KIB=$(kib_field "$SERVER_PID" VmHWM)
FIND_THREADS=$(kib_field "$SERVER_PID" Threads)
stop_server

# --- 3. nginx, a static file of the findings body's size -----------------------------------------------------------
start_nginx "$TMP/findings.json"
NGINX_COUNT=$(($(pgrep -P "$NGINX_PID" | wc -l)))
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/findings.json"
NGINX_HWM_KIB=$(tree_hwm_kib "$NGINX_PID")
kill -QUIT "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# --- report ----------------------------------------------------------------------------------------------------------
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }
echo
echo "== sgaudit REST API benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $("$BIN" --version 2>/dev/null | head -1)"
printf 'document: %d pods (%s), %d bytes; gzip -6: %d bytes\n' "$PODS" "$layout" "$DOC_BYTES" "$GZ_BYTES"
echo
echo "Ingest: POST /api/v1/clusters/bench/inputs?name=pods.json (curl -T, loopback), fresh server per row"
printf '%-34s %6s %9s %12s %12s %14s\n' "upload" "status" "seconds" "MB/s (wire)" "MB/s (JSON)" "peak RSS MiB"
for label in plain again gzip; do
  wire=$DOC_BYTES
  [[ $label == gzip ]] && wire=$GZ_BYTES
  case $label in
    plain) desc="plain JSON (new: parse, pack, store)" ;;
    again) desc="plain JSON again (known hash)" ;;
    gzip) desc="gzip (Content-Encoding: gzip)" ;;
  esac
  printf '%-34s %6s %9.2f %12s %12s %14s\n' "$desc" "${UP_STATUS[$label]}" "${UP_SECONDS[$label]}" \
    "$(mbps "$wire" "${UP_SECONDS[$label]}")" "$(mbps "$DOC_BYTES" "${UP_SECONDS[$label]}")" "$(mib "${UP_HWM[$label]}")"
done
printf 'server RSS before the upload: %s MiB; database after it: %.1f MB\n' "$(mib "$IDLE_KIB")" \
  "$(awk -v b="$DB_BYTES" 'BEGIN{print b/1e6}')"
echo
echo "Readers: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, Authorization: Bearer (reader token) on both"
printf '%-44s %12s %10s %10s %10s %8s %14s\n' "server" "requests/s" "p50" "p99" "requests" "non-2xx" "peak RSS MiB"
printf '%-44s %12s %10s %10s %10s %8s %14s\n' "sgaudit GET $FINDINGS_PATH" "$(wrk_field sgaudit rps)" \
  "$(wrk_field sgaudit p50)" "$(wrk_field sgaudit p99)" "$(wrk_field sgaudit requests)" \
  "$(wrk_field sgaudit non2xx)" "$(mib "$FIND_HWM_KIB")"
printf '%-44s %12s %10s %10s %10s %8s %14s\n' "nginx $($NGINX -v 2>&1 | sed 's|.*/||') static file, $NGINX_COUNT workers" \
  "$(wrk_field nginx rps)" "$(wrk_field nginx p50)" "$(wrk_field nginx p99)" "$(wrk_field nginx requests)" \
  "$(wrk_field nginx non2xx)" "$(mib "$NGINX_HWM_KIB")"
echo "response body: $BODY_BYTES bytes ($FINDINGS findings, audit $AUDIT_ID) on both; sgaudit RSS before wrk $(mib "$FIND_IDLE_KIB") MiB, $FIND_THREADS threads"
echo "socket errors: sgaudit $(wrk_field sgaudit errors); nginx $(wrk_field nginx errors)"
# The server's own view (its request log, duration_ms from request read to response written).
python3 - "$TMP" "$FINDINGS_PATH" <<'PY'
import json, sys, statistics
tmp, findings = sys.argv[1], sys.argv[2]
def lines(name):
    with open(f"{tmp}/server-{name}.log") as f:
        for line in f:
            try: yield json.loads(line)
            except ValueError: pass
for name in ("ingest-plain", "ingest-gzip"):
    for e in lines(name):
        if e.get("msg") == "http" and e.get("method") == "POST":
            print(f"server log ({name}): POST {e['path']} -> {e['status']} in {e['duration_ms'] / 1000:.2f} s")
d = sorted(e["duration_ms"] for e in lines("findings") if e.get("msg") == "http" and e.get("path") == findings)
if d:
    q = lambda p: d[min(len(d) - 1, int(p * len(d)))]
    print(f"server log (findings): {len(d)} GETs, handler time p50 {q(0.5):.2f} ms, p99 {q(0.99):.2f} ms, max {d[-1]:.2f} ms")
PY

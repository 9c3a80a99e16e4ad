#!/usr/bin/env bash
# The API at fleet scale (issue 16, item 4): a fleet's cloud files and realistic pods uploaded (the pods gzip),
# audited through POST /api/v1/audits, every finding paged through, every report downloaded, and 64 readers of
# a findings page against nginx serving the same bytes; each figure beside its target. Builds nothing; see
# bench/api/README.md ("The API at fleet scale") for the last figures.
#
#   bash bench/api/fleet.sh SGAUDIT JSONPASS FLEET_DIR REALISTIC_PODS
#
#   SGAUDIT          the sgaudit binary
#   JSONPASS         the bare SAX pass (/work/shared/tools/jsonpass.cpp: g++ -O2 -std=c++20), the ingest baseline
#   FLEET_DIR        a fleet from the fleet generator: describe-instances.json, describe-security-groups.json,
#                    nodes.json (its pods.json is not used)
#   REALISTIC_PODS   bench/fleet/realistic_pods.py's pods of that fleet (~2.7 GB pretty-printed for 150k pods)
#
# Environment: JSONPASS_RUNS=2 (the best pass counts), WRK_DURATION=15s WRK_THREADS=2 WRK_CONNECTIONS=64, NGINX_WORKERS=auto, GZIP_LEVEL=6 (the pods'
# gzip; a file REALISTIC_PODS.gz newer than REALISTIC_PODS is taken as it is), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
die() { echo "fleet.sh: $*" >&2; exit 1; }
[[ $# == 4 ]] || die "usage: fleet.sh SGAUDIT JSONPASS FLEET_DIR REALISTIC_PODS"
BIN=$1
JSONPASS=$2
FLEET=$3
PODS=$4
DURATION=${WRK_DURATION:-15s}
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-64}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
GZIP_LEVEL=${GZIP_LEVEL:-6}
CLOUD_FILES=(describe-instances.json describe-security-groups.json)

[[ -x $BIN ]] || die "no sgaudit binary at $BIN"
[[ -x $JSONPASS ]] || die "no jsonpass binary at $JSONPASS"
for f in "${CLOUD_FILES[@]}" nodes.json; do [[ -f $FLEET/$f ]] || die "no $FLEET/$f"; done
[[ -f $PODS ]] || die "no realistic pods at $PODS"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
FLEET=$(cd "$FLEET" && pwd)
PODS=$(cd "$(dirname "$PODS")" && pwd)/$(basename "$PODS")
for tool in curl wrk python3 gzip /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $(basename "$tool"))"
done
NGINX=$(command -v nginx || true)
[[ -n $NGINX ]] || die "nginx is missing: apt-get install nginx-light (it is only run in the foreground here)"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_tmp sgaudit-fleetbench

mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
secs_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}'; }
load() { awk '{print $1}' /proc/loadavg; }

# --- the files -------------------------------------------------------------------------------------------------
# The CLI reads a folder of the same bytes the API is sent.
mkdir -p "$TMP/fleet"
for f in "${CLOUD_FILES[@]}" nodes.json; do ln -s "$FLEET/$f" "$TMP/fleet/$f"; done
ln -s "$PODS" "$TMP/fleet/pods.json"
if [[ -f $PODS.gz && $PODS.gz -nt $PODS ]]; then
  PODS_GZ=$PODS.gz
else
  echo "gzip -$GZIP_LEVEL of the pods ..."
  PODS_GZ=$TMP/pods.json.gz
  gzip -"$GZIP_LEVEL" -c "$PODS" >"$PODS_GZ"
fi
PODS_BYTES=$(stat -L -c %s "$PODS")
PODS_GZ_BYTES=$(stat -L -c %s "$PODS_GZ")
ALL_BYTES=$PODS_BYTES
for f in "${CLOUD_FILES[@]}" nodes.json; do ALL_BYTES=$((ALL_BYTES + $(stat -L -c %s "$FLEET/$f"))); done

# --- the bare SAX rate on the same bytes -------------------------------------------------------------------------
# The best of JSONPASS_RUNS passes over each file (the machine is shared: a busy neighbour halves a pass).
echo "jsonpass on the same bytes (load $(load)) ..."
: >"$TMP/jsonpass.txt"
for _ in $(seq "${JSONPASS_RUNS:-2}"); do
  "$JSONPASS" "$PODS" "$FLEET/nodes.json" "${CLOUD_FILES[@]/#/$FLEET/}" | tee -a "$TMP/jsonpass.txt"
done
# MB/s over all files: bytes over the sum of each file's best seconds.
read -r SAX_PODS_MBPS SAX_ALL_MBPS < <(awk -v pods="$PODS" '
  { for (i = 1; i <= NF; ++i) if ($i == "s") { secs = $(i - 1); bytes[$1] = $(i - 5) }
    if (!($1 in best) || secs < best[$1]) best[$1] = secs }
  END { for (f in best) { total_s += best[f]; total_b += bytes[f] }
        printf "%.1f %.1f\n", bytes[pods ":"] / best[pods ":"] / 1e6, total_b / total_s / 1e6 }' "$TMP/jsonpass.txt")

# --- the CLI on the same files -------------------------------------------------------------------------------------
echo "sgaudit audit on the same files (load $(load)) ..."
set +e
/usr/bin/time -f '%e %M' -o "$TMP/cli-time.txt" "$BIN" audit "$TMP/fleet" --format json --output "$TMP/cli.json" \
  >"$TMP/cli-stdout.txt" 2>"$TMP/cli-stderr.txt"
CLI_RC=$?
set -e
[[ $CLI_RC == 0 || $CLI_RC == 1 ]] || { cat "$TMP/cli-stderr.txt" >&2; die "sgaudit audit exited $CLI_RC"; }
# (time writes "Command exited with non-zero status 1" first when there are findings.)
read -r CLI_SECONDS CLI_KIB < <(tail -n 1 "$TMP/cli-time.txt")
CLI_FINDINGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$TMP/cli.json")
echo "CLI: $CLI_SECONDS s, $(mib "$CLI_KIB") MiB peak, $CLI_FINDINGS findings"

# --- a fresh server on a fresh database ------------------------------------------------------------------------------
DB=$TMP/fleet.db
ADMIN=$("$BIN" token create --role admin --name bench-admin --db "$DB" --log-level warn 2>>"$TMP/tokens.log")
READER=$("$BIN" token create --role reader --name bench-reader --db "$DB" --log-level warn 2>>"$TMP/tokens.log")
PORT=$(free_port)
"$BIN" serve --listen "127.0.0.1:$PORT" --db "$DB" --log-format json --log-level info \
  --upload-limit $((4 * 1024 * 1024 * 1024)) --upload-decoded-limit $((8 * 1024 * 1024 * 1024)) \
  --spool-dir "$TMP/spool" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
wait_serving "http://127.0.0.1:$PORT/healthz" "$SERVER_PID" "$TMP/server.log" "the server"
BASE=http://127.0.0.1:$PORT
declare -A HWM  # the server's VmHWM (cumulative) after each phase

# --- ingest ----------------------------------------------------------------------------------------------------
upload() {  # $1 scope path, $2 name, $3 file, $4.. extra curl args; prints "status seconds"
  local scope=$1 name=$2 file=$3
  shift 3
  local out
  out=$(curl -sS -X POST -T "$file" -H 'Expect:' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    "$@" -o "$TMP/upload-response.json" -w '%{http_code} %{time_total}\n' "$BASE/api/v1/$scope/inputs?name=$name")
  [[ ${out%% *} == 201 || ${out%% *} == 200 ]] || { cat "$TMP/upload-response.json" >&2; die "upload of $name answered ${out%% *}"; }
  echo "$out"
}
echo "ingest (load $(load)) ..."
INGEST_START=$(date +%s.%N)
read -r _ PODS_SECONDS < <(upload clusters/fleet pods.json "$PODS_GZ" -H 'Content-Encoding: gzip')
HWM[pods]=$(kib_field "$SERVER_PID" VmHWM)
read -r _ NODES_SECONDS < <(upload clusters/fleet nodes.json "$FLEET/nodes.json")
CLOUD_SECONDS=0
for f in "${CLOUD_FILES[@]}"; do
  read -r _ s < <(upload accounts/aws "$f" "$FLEET/$f")
  CLOUD_SECONDS=$(awk -v a="$CLOUD_SECONDS" -v b="$s" 'BEGIN {print a + b}')
done
INGEST_SECONDS=$(secs_since "$INGEST_START")
HWM[ingest]=$(kib_field "$SERVER_PID" VmHWM)
DB_AFTER_INGEST=$(stat -c %s "$DB")
echo "pods (gzip, $PODS_GZ_BYTES bytes on the wire): $PODS_SECONDS s; nodes $NODES_SECONDS s; cloud files $CLOUD_SECONDS s"

# --- the audit -----------------------------------------------------------------------------------------------------
echo "POST /api/v1/audits (load $(load)) ..."
read -r code AUDIT_SECONDS < <(curl -sS -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  --data-binary '{"cluster":"fleet","accounts":["aws"]}' -o "$TMP/audit.json" -w '%{http_code} %{time_total}\n' \
  "$BASE/api/v1/audits")
[[ $code == 201 ]] || { cat "$TMP/audit.json" >&2; die "POST /api/v1/audits answered $code"; }
HWM[audit]=$(kib_field "$SERVER_PID" VmHWM)
AUDIT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/audit.json")
echo "audit $AUDIT_ID: $AUDIT_SECONDS s"

# --- every finding, a page at a time ---------------------------------------------------------------------------------
echo "paging through the findings ..."
PAGE_START=$(date +%s.%N)
next="/api/v1/audits/$AUDIT_ID/findings?limit=1000"
PAGES=0
API_FINDINGS=0
: >"$TMP/page-bytes.txt"
while [[ -n $next ]]; do
  code=$(curl -sS -H "Authorization: Bearer $READER" -o "$TMP/page.json" -w '%{http_code}\n' "$BASE$next")
  [[ $code == 200 ]] || { cat "$TMP/page.json" >&2; die "GET $next answered $code"; }
  PAGES=$((PAGES + 1))
  stat -c %s "$TMP/page.json" >>"$TMP/page-bytes.txt"
  read -r count next < <(python3 -c '
import json, sys
page = json.load(open(sys.argv[1]))
print(len(page["items"]), page.get("next", ""))' "$TMP/page.json")
  API_FINDINGS=$((API_FINDINGS + count))
done
PAGE_SECONDS=$(secs_since "$PAGE_START")
PAGE_BYTES=$(awk '{s += $1} END {print s}' "$TMP/page-bytes.txt")
HWM[pages]=$(kib_field "$SERVER_PID" VmHWM)

# --- every report --------------------------------------------------------------------------------------------------
declare -A REPORT_SECONDS REPORT_BYTES
for format in json html sarif csv; do
  echo "report.$format ..."
  read -r code s < <(curl -sS -H "Authorization: Bearer $READER" -o "$TMP/report.$format" -w '%{http_code} %{time_total}\n' \
    "$BASE/api/v1/audits/$AUDIT_ID/report.$format")
  [[ $code == 200 ]] || { head -c 2000 "$TMP/report.$format" >&2; die "report.$format answered $code"; }
  REPORT_SECONDS[$format]=$s
  REPORT_BYTES[$format]=$(stat -c %s "$TMP/report.$format")
  HWM[report.$format]=$(kib_field "$SERVER_PID" VmHWM)
  rm -f "$TMP/report.$format"
done

# --- 64 readers of the first findings page, and nginx on the same bytes ----------------------------------------------
FIRST=/api/v1/audits/$AUDIT_ID/findings
curl -fsS -H "Authorization: Bearer $READER" -o "$TMP/first-page.json" "$BASE$FIRST"
FIRST_BYTES=$(stat -c %s "$TMP/first-page.json")
run_wrk() {  # $1 label, $2 url
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $READER" "$2" \
    >"$TMP/wrk-$1.txt" 2>&1 || { cat "$TMP/wrk-$1.txt" >&2; die "wrk ($1) failed"; }
}
wrk_field() {  # $1 label, $2 rps|p50|p99|non2xx
  local f=$TMP/wrk-$1.txt
  case $2 in
    rps) awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f" ;;
    p50) awk '$1 == "50%" {print $2}' "$f" ;;
    p99) awk '$1 == "99%" {print $2}' "$f" ;;
    non2xx) awk '/Non-2xx/ {print $NF}' "$f" | grep . || echo 0 ;;
  esac
}
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION on $FIRST ($FIRST_BYTES bytes; load $(load)) ..."
WRK_LOAD=$(load)
run_wrk sgaudit "$BASE$FIRST"
HWM[wrk]=$(kib_field "$SERVER_PID" VmHWM)
SERVER_HWM_KIB=${HWM[wrk]}
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

start_nginx "$TMP/first-page.json"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/findings.json"
kill -QUIT "$NGINX_PID"
wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# --- the table ---------------------------------------------------------------------------------------------------
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }
verdict() { awk -v ok="$1" 'BEGIN {print (ok ? "met" : "NOT met")}'; }
PODS_MBPS=$(mbps "$PODS_BYTES" "$PODS_SECONDS")
ALL_MBPS=$(mbps "$ALL_BYTES" "$INGEST_SECONDS")
SERVER_MIB=$(mib "$SERVER_HWM_KIB")
RATIO=$(awk -v a="$AUDIT_SECONDS" -v c="$CLI_SECONDS" 'BEGIN {printf "%.2f", a / c}')
RPS=$(wrk_field sgaudit rps)
NGINX_RPS=$(wrk_field nginx rps)
echo
echo "== sgaudit API at fleet scale  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $("$BIN" version 2>/dev/null | head -1)"
printf 'pods: %s (%d bytes; gzip -%s %d bytes); fleet: %s (%d bytes in all)\n' "$PODS" "$PODS_BYTES" "$GZIP_LEVEL" \
  "$PODS_GZ_BYTES" "$FLEET" "$ALL_BYTES"
printf '%-58s %16s %24s %8s\n' figure measured target verdict
printf '%-58s %16s %24s %8s\n' "ingest pods.json, gzip upload (MB/s of JSON)" "$PODS_MBPS ($PODS_SECONDS s)" \
  ">= $(awk -v r="$SAX_PODS_MBPS" 'BEGIN {printf "%.1f", r / 2}') (SAX $SAX_PODS_MBPS / 2)" \
  "$(verdict "$(awk -v a="$PODS_MBPS" -v r="$SAX_PODS_MBPS" 'BEGIN {print (a >= r / 2)}')")"
printf '%-58s %16s %24s %8s\n' "ingest all four files (MB/s of JSON)" "$ALL_MBPS ($INGEST_SECONDS s)" \
  ">= $(awk -v r="$SAX_ALL_MBPS" 'BEGIN {printf "%.1f", r / 2}') (SAX $SAX_ALL_MBPS / 2)" \
  "$(verdict "$(awk -v a="$ALL_MBPS" -v r="$SAX_ALL_MBPS" 'BEGIN {print (a >= r / 2)}')")"
printf '%-58s %16s %24s %8s\n' "POST /api/v1/audits (s; CLI $CLI_SECONDS s, $(mib "$CLI_KIB") MiB)" "$AUDIT_SECONDS (x$RATIO)" \
  "<= $(awk -v c="$CLI_SECONDS" 'BEGIN {printf "%.1f", c * 1.5}') (CLI x 1.5)" \
  "$(verdict "$(awk -v r="$RATIO" 'BEGIN {print (r <= 1.5)}')")"
printf '%-58s %16s %24s %8s\n' "server peak RSS, whole run (MiB)" "$SERVER_MIB" "< 1536" \
  "$(verdict "$(awk -v m="$SERVER_MIB" 'BEGIN {print (m < 1536)}')")"
printf '%-58s %16s %24s %8s\n' "64 readers of $FIRST (req/s; p50 $(wrk_field sgaudit p50))" "$RPS" \
  ">= $(awk -v n="$NGINX_RPS" 'BEGIN {printf "%.0f", n / 4}') (nginx $NGINX_RPS / 4)" \
  "$(verdict "$(awk -v a="$RPS" -v n="$NGINX_RPS" 'BEGIN {print (a >= n / 4)}')")"
echo
echo "findings: CLI $CLI_FINDINGS, API $API_FINDINGS in $PAGES pages of up to 1000 ($PAGE_BYTES bytes, $PAGE_SECONDS s)"
for format in json html sarif csv; do
  printf 'report.%-5s %12d bytes %8.2f s\n' "$format" "${REPORT_BYTES[$format]}" "${REPORT_SECONDS[$format]}"
done
printf 'server VmHWM (MiB) after:'
for phase in pods ingest audit pages report.json report.html report.sarif report.csv wrk; do
  printf ' %s %s;' "$phase" "$(mib "${HWM[$phase]}")"
done
echo
echo "database after ingest: $DB_AFTER_INGEST bytes; wrk non-2xx: sgaudit $(wrk_field sgaudit non2xx), nginx $(wrk_field nginx non2xx); nginx p50 $(wrk_field nginx p50); load before wrk $WRK_LOAD"
echo "jsonpass: pods $SAX_PODS_MBPS MB/s, all files $SAX_ALL_MBPS MB/s"
[[ $CLI_FINDINGS == "$API_FINDINGS" ]] || echo "WARNING: the CLI found $CLI_FINDINGS findings, the API $API_FINDINGS"

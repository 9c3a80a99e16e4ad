#!/usr/bin/env bash
# The HTML report in headless Chromium at 5,000 nodes and 50,000 findings (issue #8): writes the report with
# bench_report --write-html, then measures loading and using it with measure.cjs (median of RUNS).
#   bash bench/report_browser/run.sh BUILD/bench/bench_report [NODES FINDINGS RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench_report="${1:?usage: run.sh PATH/TO/bench_report [NODES FINDINGS RUNS]}"
nodes="${2:-5000}"
findings="${3:-50000}"
runs="${4:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bench_report" --write-html="$out/report.html" "$nodes" "$findings" >&2
node "$here/measure.cjs" "$root/tools/npm" "$out/report.html" "$runs"

#!/usr/bin/env bash
# The whole CLI on fleet-sized files, beside a bare SAX pass over the same bytes, in one run (the fleet-scale
# issue's figures). Fleets come from a generator outside the project (gen_fleet.py: see the README's status):
#
#   bench/fleet/run.sh SGAUDIT JSONPASS FLEET_DIR...
#
# SGAUDIT is the sgaudit binary (a Release build), JSONPASS a build of the bare nlohmann SAX pass, each
# FLEET_DIR a folder of the generator's JSON. Prints, per fleet: the SAX pass's wall time and peak RSS, then
# `sgaudit audit DIR --format json`'s wall time, peak RSS, report size, findings, and the ratio.
# FORMATS (below) adds the other formats and the HTML opening in Chromium. RUNS=N (default 1) measures each fleet
# N times, the SAX pass and the audit alternating: the row gives the medians, the largest peaks and each run's
# ratio. On a shared VM one run can be half again slower than the next (the SAX pass too), so compare medians.
#
# Realistic pods: `python3 bench/fleet/realistic_pods.py FLEET/pods.json OUT/pods.json` rewrites the generator's
# slim pods as kubectl prints real ones (about 18 KB each, pretty-printed; 2.7 GB for 150,000). Put it in one
# folder with the fleet's nodes.json alone and in another with the cloud files too, and pass both: the second
# row against the first is what the cloud half of the audit costs.
set -euo pipefail
sgaudit=$1
jsonpass=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=${RUNS:-1}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
printf '%-28s %9s %9s %9s %9s %9s %9s %7s %s\n' fleet sax_s sax_MB audit_s audit_MB report_MB findings ratio runs
for dir in "$@"; do
  sax_all=() audit_all=() ratios=() sax_kb=0 audit_kb=0
  for ((run = 1; run <= runs; run++)); do
    /usr/bin/time -f '%e %M' -o "$out/sax" "$jsonpass" "$dir"/*.json >/dev/null
    # Exit 1 means "findings at or above --fail-on", which a fleet has: only 2 and above are failures.
    /usr/bin/time -f '%e %M' -o "$out/audit" "$sgaudit" audit "$dir" --format json --output "$out/report.json" \
      >/dev/null || [ $? -eq 1 ]
    read -r s kb <"$out/sax"
    sax_all+=("$s")
    sax_kb=$((kb > sax_kb ? kb : sax_kb))
    read -r a kb < <(tail -1 "$out/audit")
    audit_all+=("$a")
    audit_kb=$((kb > audit_kb ? kb : audit_kb))
    ratios+=("$(python3 -c "print(f'{$a / $s:.1f}')")")
  done
  sax_s=$(median "${sax_all[@]}")
  audit_s=$(median "${audit_all[@]}")
  report_mb=$(( $(stat -c %s "$out/report.json") / 1048576 ))
  findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out/report.json")
  ratio=$(python3 -c "print(f'{$audit_s / $sax_s:.1f}x')")
  printf '%-28s %9s %9s %9s %9s %9s %9s %7s %s\n' "$(basename "$dir")" "$sax_s" $((sax_kb / 1024)) "$audit_s" \
    $((audit_kb / 1024)) "$report_mb" "$findings" "$ratio" "$(IFS=/; echo "${ratios[*]}")"
done

# FORMATS="html sarif csv": the same audit in each other format too, the extra seconds over JSON being what the
# renderer costs; with html, headless Chromium's time to load the report and paint its first screen (browser
# start included), beside its time for a one-line page.
if [ -n "${FORMATS:-}" ]; then
  printf '\n%-28s %9s %9s %9s %9s\n' fleet format audit_s extra_s size_MB
  for dir in "$@"; do
    /usr/bin/time -f '%e' -o "$out/base" "$sgaudit" audit "$dir" --format json --output "$out/report.json" \
      >/dev/null || [ $? -eq 1 ]
    base_s=$(tail -1 "$out/base")
    for format in $FORMATS; do
      /usr/bin/time -f '%e' -o "$out/time" "$sgaudit" audit "$dir" --format "$format" \
        --output "$out/report.$format" >/dev/null || [ $? -eq 1 ]
      format_s=$(tail -1 "$out/time")
      printf '%-28s %9s %9s %9s %9s\n' "$(basename "$dir")" "$format" "$format_s" \
        "$(python3 -c "print(f'{$format_s - $base_s:+.1f}')")" $(( $(stat -c %s "$out/report.$format") / 1048576 ))
    done
    if [[ " $FORMATS " == *" html "* ]] && command -v chromium >/dev/null; then
      echo '<!doctype html><title>x</title>x' >"$out/tiny.html"
      for page in tiny.html report.html; do
        /usr/bin/time -f '%e' -o "$out/open" chromium --headless=new --disable-gpu --no-sandbox \
          --screenshot="$out/shot.png" --window-size=1280,800 "file://$out/$page" >/dev/null 2>&1
        printf '%-28s %9s %9s\n' "$(basename "$dir")" "open $page" "$(tail -1 "$out/open")"
      done
    fi
  done
fi

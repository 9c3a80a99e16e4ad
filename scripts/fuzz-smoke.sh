#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each briefly on a copy of its seed corpus
# (fuzz/corpus/<target>/), failing on any crash, leak, sanitizer report, timeout or out-of-memory.
#   FUZZ_SECONDS  seconds per target (default 15)
#   FUZZ_JOBS     targets run at once (default: the number of cores)
#   FUZZ_TARGETS  space-separated subset (default: all)
#   FUZZ_BUILD    build folder (default build-fuzz)
#   FUZZ_KEEP     a folder to keep the grown corpora and crash artifacts in (default: a temporary one, removed)
# Only the fuzz targets are built (the service, Beast and SQLite are not), which the script checks.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-15}
jobs=${FUZZ_JOBS:-$(nproc)}
build=${FUZZ_BUILD:-build-fuzz}
cxx=${FUZZ_CXX:-clang++-14}
# target:max_len (bytes). Large enough for every seed; small enough that mutations stay fast. Each provider
# registered in cloud/CMakeLists.txt has its <provider>_parse target.
providers=$(sed -n 's/^set(SGAUDIT_CLOUD_PROVIDERS \(.*\) CACHE.*/\1/p' cloud/CMakeLists.txt)
[ -n "$providers" ] || { echo "fuzz-smoke: no SGAUDIT_CLOUD_PROVIDERS in cloud/CMakeLists.txt" >&2; exit 1; }
all_targets="manifest:8192 kubectl_json:16384 sockets:4096 inputs:16384 kubeconfig:8192 aws_xml:8192"
for provider in $providers; do all_targets="$all_targets ${provider}_parse:8192"; done
targets=${FUZZ_TARGETS:-$(for t in $all_targets; do printf '%s ' "${t%%:*}"; done)}

start=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
  # -O1 with line tables only: what libFuzzer recommends, and about half the compile time of -O2 -g on
  # nlohmann-heavy code, which keeps the CI step short. Stack traces still name file and line.
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" -DSGAUDIT_BUILD_FUZZ=ON -DSGAUDIT_BUILD_TESTS=OFF \
    -DSGAUDIT_BUILD_BENCH=OFF >/dev/null
fi
# Regenerate first when CMakeLists changed (a provider added to SGAUDIT_CLOUD_PROVIDERS adds its target).
ninja -C "$build" build.ninja >/dev/null
build_targets=$(for t in $targets; do printf 'fuzz_%s ' "$t"; done)
# shellcheck disable=SC2086
commands=$(ninja -C "$build" -t commands $build_targets)
if grep -E -q '(^| )[^ ]*(service|db)/(src/)?[^ ]*\.cpp' <<<"$commands"; then
  echo "fuzz-smoke: the fuzz targets would build service/ or db/ code; they must link the readers only" >&2
  exit 1
fi
# shellcheck disable=SC2086
ninja -C "$build" -j "$(nproc)" $build_targets
built=$(date +%s)

work=${FUZZ_KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${FUZZ_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

run_one() {
  local target=$1 max_len=$2
  local corpus="$work/corpus/$target" artifacts="$work/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -R "fuzz/corpus/$target/." "$corpus/"
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$work/$target.log" 2>&1
}

pids=() names=()
for entry in $all_targets; do
  target=${entry%%:*} max_len=${entry##*:}
  case " $targets " in *" $target "*) ;; *) continue ;; esac
  [ -d "fuzz/corpus/$target" ] || { echo "fuzz-smoke: no seed corpus fuzz/corpus/$target" >&2; exit 1; }
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 0.2; done
  run_one "$target" "$max_len" &
  pids+=("$!") names+=("$target")
done

failed=0
for i in "${!pids[@]}"; do
  target=${names[$i]}
  if wait "${pids[$i]}"; then status=ok; else status=FAILED failed=1; fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
  files=$(find "$work/corpus/$target" -type f | wc -l)
  printf 'fuzz-smoke: %-16s %-6s %8s runs %6s exec/s  corpus %s -> %s files\n' "$target" "$status" \
    "${execs:-?}" "${rate:-?}" "$(find "fuzz/corpus/$target" -type f | wc -l)" "$files"
  if [ "$status" = FAILED ]; then
    tail -n 60 "$work/$target.log" >&2
    ls "$work/artifacts/$target" >&2 || true
  fi
done
echo "fuzz-smoke: build $((built - start)) s, fuzzing $(($(date +%s) - built)) s (${seconds} s per target, $jobs at once)"
exit $failed

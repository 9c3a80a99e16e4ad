#!/usr/bin/env bash
# Runs the README's HTTP walkthrough (the ```sh block after "<!-- readme-test: http -->") exactly as written,
# as a person would: from a folder that looks like the repository (its test data, build/service holding the
# binary under test), against a fresh server started there on a free loopback port with its default
# database, ./var/sgaudit.db. Fails when a command of the block fails (curl -f: any HTTP error), or when the
# report it downloads is not the HTML report.
#   scripts/check-readme.sh BINARY
set -euo pipefail
binary=$(readlink -f "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

block=$(awk '/<!-- readme-test: http -->/ { marked = 1; next }
             marked && /^```sh$/ { inside = 1; next }
             inside && /^```$/ { exit }
             inside { print }' "$repo/README.md")
[ -n "$block" ] || { echo "check-readme: no block marked readme-test: http in README.md" >&2; exit 1; }

mkdir -p "$work/build/service"
ln -s "$binary" "$work/build/service/sgaudit"
ln -s "$repo/test" "$work/test"
cd "$work"
# Not inherited from the caller's environment: the README's defaults are what is tested.
unset SGAUDIT_DB SGAUDIT_LISTEN SGAUDIT_PUBLIC_READ SGAUDIT_DEMO
build/service/sgaudit serve --listen 127.0.0.1:0 --no-scheduler --log-format json >server.log 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"url":"http:\/\/127.0.0.1:\([0-9]*\)".*/\1/p' server.log | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat server.log >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "check-readme: the server did not say where it listens" >&2; cat server.log >&2; exit 1; }

echo "check-readme: running the README's HTTP block against 127.0.0.1:$port" >&2
SGAUDIT="http://127.0.0.1:$port" bash -euo pipefail -c "$block" >walkthrough.out
cat walkthrough.out
grep -q '<title>sgaudit report: cce</title>' report.html ||
  { echo "check-readme: report.html is not the cluster's HTML report" >&2; head -c 300 report.html >&2; exit 1; }
grep -q '"new"' walkthrough.out || { echo "check-readme: no diff counts printed" >&2; exit 1; }
echo "check-readme: ok" >&2

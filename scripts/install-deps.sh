#!/usr/bin/env bash
# Installs the Debian 12 packages sgaudit builds with (.ci/packages.txt), only those missing; with --test also
# what only the tests need (.ci/packages-test.txt, kubectl, Node.js and the pinned Node tools), which `make run`
# leaves out.
#   scripts/install-deps.sh [--test]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lists=("$here/.ci/packages.txt")
tests=0
if [ "${1:-}" = "--test" ]; then
  tests=1
  lists+=("$here/.ci/packages-test.txt")
fi
mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^\s*#' | sed '/^\s*$/d')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$tests" = 1 ] || exit 0

# kubectl renders deploy/kubernetes in the tests (scripts/check-deploy.sh): Debian's kubernetes-client when the
# machine has no kubectl (a kubectl from elsewhere is kept: the packages would conflict).
if ! command -v kubectl >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi

# Node.js tools the tests run (OpenAPI linter, JSON-schema validator), pinned by tools/npm/package-lock.json.
# Node comes from Debian's nodejs and npm packages when the machine has none.
if ! command -v npm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -f "$here/tools/npm/node_modules/.package-lock.json" ] ||
   ! cmp -s "$here/tools/npm/package-lock.json" "$here/tools/npm/node_modules/.sgaudit-lock"; then
  (cd "$here/tools/npm" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
   cp package-lock.json node_modules/.sgaudit-lock)
fi

#!/usr/bin/env bash
# Installs the Debian 12 packages sgaudit builds and tests with (.ci/packages.txt), only those missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t wanted < <(grep -v '^\s*#' "$here/.ci/packages.txt" | sed '/^\s*$/d')
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

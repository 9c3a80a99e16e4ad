#!/usr/bin/env bash
# Renders deploy/kubernetes with kubectl's kustomize and audits the result with sgaudit itself: the agent
# DaemonSet is a hostNetwork workload, and sgaudit must raise nothing on its own manifests that it would raise
# on anyone else's (dnsPolicy, undeclared or reserved host ports, capacity, conflicts).
#   scripts/check-deploy.sh [SGAUDIT_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sgaudit=${1:-$here/build/service/sgaudit}
if ! command -v kubectl >/dev/null 2>&1; then
  echo "check-deploy: no kubectl (scripts/install-deps.sh installs Debian's kubernetes-client)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
kubectl kustomize "$here/deploy/kubernetes" >"$out/sgaudit.yaml" 2>"$out/kustomize.err" || {
  cat "$out/kustomize.err" >&2
  exit 1
}
for kind in Namespace ServiceAccount ClusterRole ClusterRoleBinding PersistentVolumeClaim Deployment Service \
  DaemonSet ConfigMap NetworkPolicy; do
  grep -q "^kind: $kind\$" "$out/sgaudit.yaml" || { echo "check-deploy: no $kind rendered" >&2; exit 1; }
done
# The cluster role grants reading only.
if grep -A20 '^kind: ClusterRole$' "$out/sgaudit.yaml" | grep -E '^\s+- (create|update|patch|delete|deletecollection|watch|escalate|bind|impersonate|\*)$' >&2; then
  echo "check-deploy: the cluster role grants more than get and list" >&2
  exit 1
fi
"$sgaudit" audit "$out/sgaudit.yaml" --fail-on info
echo "check-deploy: deploy/kubernetes renders ($(grep -c '^kind:' "$out/sgaudit.yaml") objects) and audits clean"

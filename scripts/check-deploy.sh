#!/usr/bin/env bash
# Renders deploy/kubernetes with kubectl's kustomize into build/deploy-rendered.yaml and audits the result with
# sgaudit itself: the agent DaemonSet is a hostNetwork workload, and sgaudit must raise nothing on its own
# manifests that it would raise on anyone else's (dnsPolicy, undeclared or reserved host ports, capacity,
# conflicts). Also checks that every object is rendered and that the cluster role reads only.
#   scripts/check-deploy.sh [SGAUDIT_BINARY]     (default: build/service/sgaudit)
# It runs as a CTest test (DeployManifestsRenderAndAuditClean); scripts/install-deps.sh installs Debian's
# kubernetes-client (kubectl 1.20, kustomize v2.0.3) when the machine has no kubectl, as CI does.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sgaudit=${1:-$here/build/service/sgaudit}
rendered=$here/build/deploy-rendered.yaml

if ! command -v kubectl >/dev/null 2>&1; then
  echo "check-deploy: no kubectl (scripts/install-deps.sh installs Debian's kubernetes-client)" >&2
  exit 1
fi

mkdir -p "$(dirname "$rendered")"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
kubectl kustomize "$here/deploy/kubernetes" >"$rendered" 2>"$err" || {
  cat "$err" >&2
  echo "check-deploy: kubectl kustomize deploy/kubernetes failed" >&2
  exit 1
}

for kind in Namespace ServiceAccount ClusterRole ClusterRoleBinding PersistentVolumeClaim Deployment Service \
  DaemonSet ConfigMap NetworkPolicy; do
  grep -q "^kind: $kind\$" "$rendered" || { echo "check-deploy: no $kind rendered" >&2; exit 1; }
done

# The one cluster role grants get and list on exactly the six resources the server collects, nothing else,
# and there is no other role.
if [ "$(grep -c '^kind: \(Cluster\)\?Role$' "$rendered")" -ne 1 ]; then
  echo "check-deploy: expected exactly one ClusterRole and no Role" >&2
  exit 1
fi
rules=$(awk '
  /^---$/ { if (hit) { done = 1; exit } buf = ""; next }
  { buf = buf $0 "\n" }
  $0 == "kind: ClusterRole" { hit = 1 }
  END { if (hit || done) printf "%s", buf }' "$rendered" | sed -n '/^rules:$/,$p')
expected='rules:
- apiGroups:
  - ""
  resources:
  - nodes
  - pods
  verbs:
  - get
  - list
- apiGroups:
  - apps
  resources:
  - deployments
  - replicasets
  - daemonsets
  - statefulsets
  verbs:
  - get
  - list'
if [ "$rules" != "$expected" ]; then
  echo "check-deploy: the cluster role's rules are not get and list on exactly nodes, pods (core) and" \
    "deployments, replicasets, daemonsets, statefulsets (apps):" >&2
  printf '%s\n' "$rules" >&2
  exit 1
fi

"$sgaudit" audit "$rendered" --fail-on info || {
  echo "check-deploy: sgaudit audit $rendered is not clean (exit $?)" >&2
  exit 1
}
echo "check-deploy: deploy/kubernetes renders ($(grep -c '^kind:' "$rendered") objects, $rendered)" \
  "and audits clean"

#!/usr/bin/env python3
"""Realistic pods for the fleet benchmark: the fleet generator's pods.json (slim, ~0.5 KB a pod) rewritten as
`kubectl get pods -A -o json` prints real ones: 4-18 KB each (managedFields, labels and annotations, env,
volumes and mounts, probes, resources, tolerations, status conditions and container statuses), pretty-printed
with kubectl's four-space indent. Names, namespaces, owners, nodes, hostNetwork and ports are kept, so the audit
finds the same things; only the bytes around them grow.

    realistic_pods.py FLEET/pods.json OUT/pods.json [--seed S]

Streams item by item: memory stays small however large the output.
"""
import json
import random
import sys


def managed_fields(rng, n):
    fields = []
    for i in range(n):
        fields.append({
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {f"f:label-{j}": {} for j in range(rng.randint(2, 6))},
                               "f:ownerReferences": {".": {}}},
                "f:spec": {"f:containers": {f"k:{{\"name\":\"c{j}\"}}": {".": {}, "f:image": {}, "f:env": {}}
                                            for j in range(rng.randint(1, 3))}},
                "f:status": {"f:conditions": {".": {}}, "f:containerStatuses": {}},
            },
            "manager": ["kube-controller-manager", "kubelet", "kubectl-client-side-apply"][i % 3],
            "operation": "Update",
            "time": "2026-11-2%dT0%d:1%d:2%dZ" % (rng.randint(0, 9), rng.randint(0, 9), rng.randint(0, 9),
                                                    rng.randint(0, 9)),
        })
    return fields


def inflate(pod, rng):
    meta = pod.setdefault("metadata", {})
    name = meta.get("name", "pod")
    meta.setdefault("labels", {}).update({"app.kubernetes.io/name": name.rsplit("-", 1)[0],
                                          "app.kubernetes.io/part-of": "fleet",
                                          "pod-template-hash": "%09x" % rng.randrange(16**9)})
    meta["annotations"] = {
        "kubectl.kubernetes.io/restartedAt": "2026-11-20T10:00:00Z",
        "prometheus.io/scrape": "true",
        "checksum/config": "%064x" % rng.randrange(16**64),
    }
    meta["uid"] = "%08x-%04x-4%03x-8%03x-%012x" % (rng.randrange(16**8), rng.randrange(16**4),
                                                  rng.randrange(16**3), rng.randrange(16**3),
                                                  rng.randrange(16**12))
    meta["resourceVersion"] = str(rng.randrange(10**9))
    meta["creationTimestamp"] = "2026-11-20T10:00:00Z"
    meta["generateName"] = name.rsplit("-", 1)[0] + "-"
    # 4-18 KB a pod: the managed fields and env carry most of the bulk, as in real clusters.
    meta["managedFields"] = managed_fields(rng, rng.randint(1, 6))
    spec = pod.setdefault("spec", {})
    for c in spec.get("containers", []):
        c["env"] = [{"name": f"ENV_{j}", "value": "x" * rng.randint(8, 64)} for j in range(rng.randint(4, 40))]
        c["resources"] = {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
        c["volumeMounts"] = [{"mountPath": f"/etc/config-{j}", "name": f"config-{j}", "readOnly": True}
                             for j in range(rng.randint(1, 5))]
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                              "initialDelaySeconds": 10, "periodSeconds": 10, "failureThreshold": 3}
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5}
        c["imagePullPolicy"] = "IfNotPresent"
        c["terminationMessagePath"] = "/dev/termination-log"
        c["terminationMessagePolicy"] = "File"
    spec["volumes"] = [{"name": f"config-{j}", "configMap": {"name": f"cm-{j}", "defaultMode": 420}}
                       for j in range(rng.randint(1, 5))]
    spec["tolerations"] = [
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
         "tolerationSeconds": 300}]
    spec.update({"restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default",
                 "terminationGracePeriodSeconds": 30, "enableServiceLinks": True, "priority": 0})
    status = pod.setdefault("status", {})
    status["conditions"] = [{"lastProbeTime": None, "lastTransitionTime": "2026-11-20T10:00:0%dZ" % j,
                             "status": "True", "type": t}
                            for j, t in enumerate(["Initialized", "Ready", "ContainersReady", "PodScheduled"])]
    status["containerStatuses"] = [{
        "containerID": "containerd://%064x" % rng.randrange(16**64), "image": c.get("image", "example:1"),
        "imageID": "docker.io/library/x@sha256:%064x" % rng.randrange(16**64), "lastState": {},
        "name": c.get("name", "main"), "ready": True, "restartCount": 0, "started": True,
        "state": {"running": {"startedAt": "2026-11-20T10:00:05Z"}}} for c in spec.get("containers", [])]
    status["qosClass"] = "Burstable"
    status["startTime"] = "2026-11-20T10:00:00Z"
    return pod


def main():
    source, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7
    rng = random.Random(seed)
    with open(source) as f:
        items = json.load(f)["items"]
    with open(out, "w") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        for i, pod in enumerate(items):
            text = json.dumps(inflate(pod, rng), indent=4)
            f.write("\n".join("        " + line for line in text.split("\n")))
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write('    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')


if __name__ == "__main__":
    main()

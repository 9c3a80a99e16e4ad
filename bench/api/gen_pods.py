#!/usr/bin/env python3
"""Fallback generator for bench/api/run.sh: a deterministic `kubectl get pods -A -o json` List of N pods.

run.sh prefers bench_kubectl_parse --generate (bench/generate_kubectl_pods.cpp, the kubectl parse benchmark's
generator) when it is built beside the sgaudit binary; this script is used only when it is not. Pods are
realistic in shape (metadata with labels, annotations and owner references; containers with ports, env,
probes, resources and volume mounts; hostNetwork and hostPort on some; status with conditions and container
statuses), about 2-3 KB each.

    gen_pods.py FILE N [pretty]
"""
import json
import random
import sys


def pod(i, rng):
    ns = f"team-{i % 40:02d}"
    app = f"svc-{i % 997:03d}"
    name = f"{app}-{rng.randrange(16**9):09x}-{rng.randrange(36**5):05x}"
    node = f"10.{(i // 60000) % 250}.{(i // 250) % 250}.{i % 250 + 2}"
    host_network = i % 17 == 0
    ports = [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
    if i % 5 == 0:
        ports.append({"containerPort": 9090, "name": "metrics", "protocol": "TCP"})
    if i % 23 == 0:
        ports.append({"containerPort": 30000 + i % 2000, "hostPort": 30000 + i % 2000, "protocol": "TCP"})
    if host_network:
        for p in ports:
            p["hostPort"] = p["containerPort"]
    uid = "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                                         rng.getrandbits(16), rng.getrandbits(48))
    ts = "2026-11-%02dT%02d:%02d:%02dZ" % (1 + i % 25, i % 24, i % 60, (i * 7) % 60)
    container = {
        "name": app,
        "image": f"registry.example.com/{ns}/{app}:1.{i % 30}.{i % 7}",
        "imagePullPolicy": "IfNotPresent",
        "ports": ports,
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "UPSTREAM", "value": f"http://{app}.{ns}.svc.cluster.local:8080"}],
        "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 10,
                          "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5,
                           "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"mountPath": "/etc/config", "name": "config", "readOnly": True},
                         {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access",
                          "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    running = i % 50 != 0
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "uid": uid, "resourceVersion": str(100000 + i), "creationTimestamp": ts,
            "generateName": name[:-5],
            "labels": {"app": app, "pod-template-hash": name.split("-")[2], "team": ns},
            "annotations": {"kubectl.kubernetes.io/restartedAt": ts, "prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name[:-6],
                                 "uid": uid[::-1], "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "containers": [container],
            "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
            "hostNetwork": host_network,
            "nodeName": node,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "tolerationSeconds": 300}],
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}},
                        {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
        },
        "status": {
            "phase": "Running" if running else "Pending",
            "hostIP": node,
            "podIP": node if host_network else f"172.16.{(i // 250) % 250}.{i % 250 + 2}",
            "qosClass": "Burstable",
            "startTime": ts,
            "conditions": [{"type": t, "status": "True" if running else "False", "lastTransitionTime": ts}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": app, "ready": running, "restartCount": i % 3, "started": running,
                "image": container["image"], "imageID": "registry.example.com/%s@sha256:%064x" % (app, i),
                "containerID": "containerd://%064x" % (i * 2654435761),
                "state": {"running": {"startedAt": ts}} if running else
                         {"waiting": {"reason": "ContainerCreating"}},
            }],
        },
    }


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    pretty = len(sys.argv) > 3 and sys.argv[3] == "pretty"
    rng = random.Random(7)
    with open(path, "w") as out:
        out.write('{\n    "apiVersion": "v1",\n    "items": [\n' if pretty else '{"apiVersion":"v1","items":[\n')
        for i in range(count):
            if i:
                out.write(",\n")
            item = pod(i, rng)
            if pretty:
                text = json.dumps(item, indent=4)
                out.write("\n".join("        " + line for line in text.split("\n")))
            else:
                out.write(json.dumps(item, separators=(",", ":")))
        out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
                  if pretty else '\n],"kind":"List","metadata":{"resourceVersion":""}}\n')


if __name__ == "__main__":
    main()

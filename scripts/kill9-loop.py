#!/usr/bin/env python3
"""kill -9 during uploads and audits, N times, and check that nothing is ever half-written (issue 23).

    scripts/kill9-loop.py [--iterations 200] [--sgaudit build/service/sgaudit]

Each round starts `sgaudit serve` on the same database (loopback, a free port), sends uploads (the cce-seed files
and a gzip of generated pods, several MB) and audits from a few threads, and kills the server with SIGKILL at a
random moment within 400 ms. Then it checks the database with SQLite itself: `PRAGMA integrity_check` is ok,
`PRAGMA foreign_key_check` is empty, every input's blob exists, and the next start empties the spool. It prints
the counts, the restart times and any violation, and exits 1 on one. Not part of CI (it takes minutes); the
figures are in the README.
"""
import argparse
import gzip
import http.client
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "test", "data", "scenarios", "cce-seed")


def pods_document(count):
    items = [{"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": f"web-{i}", "namespace": "default", "labels": {"app": "web"}},
              "spec": {"nodeName": f"node-{i % 50}", "hostNetwork": i % 7 == 0,
                       "containers": [{"name": "web", "image": "nginx",
                                       "ports": [{"containerPort": 8080, "hostPort": 8080}]}]},
              "status": {"phase": "Running", "podIP": f"10.1.{i // 250}.{i % 250}"}} for i in range(count)]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()


def start(binary, db, log):
    process = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--db", db, "--no-scheduler"],
                               stderr=open(log, "w"), stdout=subprocess.DEVNULL)
    began = time.monotonic()
    while time.monotonic() - began < 15:
        text = open(log).read()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", text)
        if match:
            return process, int(match.group(1)), time.monotonic() - began
        if process.poll() is not None:
            raise SystemExit("serve exited: " + text)
        time.sleep(0.005)
    raise SystemExit("serve did not start: " + open(log).read())


def request(port, method, path, body, headers):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(method, path, body=body, headers=headers)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None


def check(db):
    problems = []
    connection = sqlite3.connect(db)
    if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    if connection.execute("PRAGMA foreign_key_check").fetchall():
        problems.append("foreign_key_check found rows")
    orphans = connection.execute(
        "SELECT count(*) FROM inputs WHERE sha256 NOT IN (SELECT sha256 FROM blobs)").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} inputs without their blob")
    counts = connection.execute("SELECT (SELECT count(*) FROM inputs), (SELECT count(*) FROM audits)").fetchone()
    connection.close()
    return problems, counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--sgaudit", default=os.path.join(ROOT, "build", "service", "sgaudit"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sgaudit-kill9-")
    db = os.path.join(work, "kill9.db")
    token = subprocess.run([args.sgaudit, "token", "create", "--role", "admin", "--db", db],
                           capture_output=True, text=True, check=True).stdout.strip()
    auth = {"Authorization": "Bearer " + token}
    big = gzip.compress(pods_document(6000))
    seed = []
    for folder, _, files in os.walk(SEED):
        for name in files:
            if name in ("README.md", "policy.json"):
                continue
            path = os.path.join(folder, name)
            seed.append((os.path.relpath(path, SEED), open(path, "rb").read()))
    restarts, statuses, violations = [], {}, []
    for round_number in range(args.iterations):
        process, port, took = start(args.sgaudit, db, os.path.join(work, "serve.log"))
        restarts.append(took)
        spool = os.path.join(work, "spool")
        leftover = [f for f in os.listdir(spool)] if os.path.isdir(spool) else []
        if leftover:
            violations.append(f"round {round_number}: spool not emptied at start: {leftover}")

        def traffic(kind):
            for _ in range(20):
                if kind == 0:
                    name, body = random.choice(seed)
                    scope = "accounts/huawei" if name.endswith(("rules.json", "groups.json", "servers.json",
                                                                  "vpc.json", "cluster.json")) else "clusters/cce"
                    status = request(port, "POST", f"/api/v1/{scope}/inputs?name=r{round_number % 3}-{name}", body,
                                     auth)
                elif kind == 1:
                    status = request(port, "POST", f"/api/v1/clusters/cce/inputs?name=pods-{round_number % 5}.json",
                                     big, {**auth, "Content-Encoding": "gzip"})
                else:
                    status = request(port, "POST", "/api/v1/audits", json.dumps({"cluster": "cce",
                                                                                 "accounts": ["huawei"]}),
                                     {**auth, "Content-Type": "application/json"})
                statuses[status] = statuses.get(status, 0) + 1
                if status is None:
                    return

        threads = [threading.Thread(target=traffic, args=(kind,)) for kind in (0, 1, 2)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.0, 0.4))
        process.kill()
        process.wait()
        for thread in threads:
            thread.join()
        problems, counts = check(db)
        violations += [f"round {round_number}: {p}" for p in problems]
    process, port, took = start(args.sgaudit, db, os.path.join(work, "serve.log"))
    process.kill()
    process.wait()
    problems, counts = check(db)
    violations += problems
    restarts.sort()
    print(f"{args.iterations} kill -9 rounds: answers {dict(sorted(statuses.items(), key=str))}")
    print(f"database: {counts[0]} inputs, {counts[1]} audits; integrity, foreign keys and blobs checked each round")
    print(f"restart to listening: median {restarts[len(restarts) // 2] * 1000:.0f} ms, "
          f"max {restarts[-1] * 1000:.0f} ms")
    print("violations: " + ("none" if not violations else "\n  " + "\n  ".join(violations)))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

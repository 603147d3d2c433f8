"""POST assessment latency over loopback: 16 concurrent clients, the example cases, bounded count.

    .venv/bin/python benchmarks/bench_web.py [--requests 2000] [--clients 16] [--database-url URL]

Starts `revspine serve` (uvicorn) on a free 127.0.0.1 port with a fresh database in a temporary
folder (or the scratch database given by --database-url), creates a user and token, warms up, then
sends the requests and prints median and p99 latency per request, throughput, the server's CPU
time per request, and whether p99 is under the 50 ms target. The clients are benchmarks/loadgen.py
(keep-alive connections, prepared request bytes: the load generator shares the machine). Each
client waits for its answer before sending the next request, so latency is about clients /
throughput: p99 under 50 ms with 16 clients needs well over 320 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from loadgen import closed_loop, cpu_seconds, percentile, request_bytes

from revspine.cli.main import example_paths

TARGET_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def revspine(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    exe = str(Path(sys.executable).with_name("revspine"))
    done = subprocess.run([exe, *args], env=env, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def setup(base: str, token: str, clients: int) -> list[int]:
    """One patient per client (each client's assessments go to its own patient)."""
    headers = {"Authorization": f"Bearer {token}"}
    pids = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(clients):
            r = client.post("/api/patients", json={"display_name": f"Bench {i}"})
            r.raise_for_status()
            pids.append(r.json()["id"])
    return pids


def run(port: int, token: str, cases: list[dict], pids: list[int], requests: int) -> list[float]:
    """Send ``requests`` POST assess calls from ``len(pids)`` clients; the latencies in ms."""
    auth = {"Authorization": f"Bearer {token}"}
    bodies = [json.dumps(c).encode() for c in cases]
    prepared = [[request_bytes("POST", f"/api/patients/{pid}/assess", b, auth) for b in bodies] for pid in pids]
    answers = asyncio.run(closed_loop(port, [lambda i, mine=mine: mine[i % len(mine)] for mine in prepared],
                                      requests))
    bad = [a for a in answers if a.status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} answers were not 200, e.g. HTTP {bad[0].status}: {bad[0].body[:200]!r}")
    return [a.ms for a in answers]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = ap.parse_args()
    cases = [json.loads(p.read_text()) for p in example_paths()]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "REVSPINE_DATA_DIR": tmp, "REVSPINE_LOG_LEVEL": "WARNING"}
        if args.database_url:
            env["REVSPINE_DATABASE_URL"] = args.database_url
        username = f"bench-{uuid.uuid4().hex[:8]}"  # the --database-url may already hold earlier runs
        revspine("user", "create", "--username", username, "--password-stdin", env=env, stdin="bench password 123\n")
        token = revspine("token", "create", "--username", username, env=env).strip()
        exe = str(Path(sys.executable).with_name("revspine"))
        command = [exe, "serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start: " + (server.stderr.read() if server.stderr else ""))
                time.sleep(0.2)
            pids = setup(base, token, args.clients)
            run(port, token, cases, pids, args.warmup)
            cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
            lat = run(port, token, cases, pids, args.requests)
            wall, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
        finally:
            server.terminate()
            server.wait(timeout=10)
    lat.sort()
    p99 = percentile(lat, 99)
    db = args.database_url.split(":", 1)[0] if args.database_url else "sqlite"
    print(f"POST /api/patients/{{id}}/assess  database={db}  workers={args.workers}  clients={args.clients}  "
          f"requests={len(lat)}  "
          f"cases={len(cases)}")
    print(f"median {statistics.median(lat):.1f} ms   p90 {percentile(lat, 90):.1f} ms   p99 {p99:.1f} ms   "
          f"max {lat[-1]:.1f} ms   throughput {len(lat) / wall:.0f} req/s   "
          f"server CPU {cpu * 1000 / len(lat):.2f} ms per request")
    print(f"({args.clients} clients each waiting for their answer need > {args.clients / TARGET_P99_MS * 1000:.0f} "
          f"req/s for even the mean latency to stay under {TARGET_P99_MS:.0f} ms)")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'}")


if __name__ == "__main__":
    main()

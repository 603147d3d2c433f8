"""POST assessment latency over loopback: 16 concurrent clients, the example cases, bounded count.

    .venv/bin/python benchmarks/bench_web.py [--requests 2000] [--clients 16] [--database-url URL]

Starts `revspine serve` (uvicorn) on a free 127.0.0.1 port with a fresh database in a temporary
folder (or the scratch database given by --database-url), creates a user and token, warms up, then
sends the requests and prints median and p99 latency per request, throughput, and whether p99 is
under the 50 ms target. Each client waits for its answer before sending the next request, so
latency is about clients / throughput: p99 under 50 ms with 16 clients needs > 320 requests/s.
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


async def run(base: str, token: str, cases: list[dict], requests: int, clients: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        pids = []
        for i in range(clients):
            r = await client.post("/api/patients", json={"display_name": f"Bench {i}"})
            r.raise_for_status()
            pids.append(r.json()["id"])
        latencies: list[float] = []
        counter = iter(range(requests))

        async def worker(w: int) -> None:
            for i in counter:
                case = cases[i % len(cases)]
                start = time.perf_counter()
                r = await client.post(f"/api/patients/{pids[w]}/assess", json=case)
                latencies.append((time.perf_counter() - start) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")

        await asyncio.gather(*(worker(w) for w in range(clients)))
        return latencies


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
            asyncio.run(run(base, token, cases, args.warmup, args.clients))
            t0 = time.perf_counter()
            lat = asyncio.run(run(base, token, cases, args.requests, args.clients))
            wall = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=10)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * len(lat))) - 1)]
    db = args.database_url.split(":", 1)[0] if args.database_url else "sqlite"
    print(f"POST /api/patients/{{id}}/assess  database={db}  workers={args.workers}  clients={args.clients}  "
          f"requests={len(lat)}  "
          f"cases={len(cases)}")
    print(f"median {statistics.median(lat):.1f} ms   p99 {p99:.1f} ms   max {lat[-1]:.1f} ms   "
          f"throughput {len(lat) / wall:.0f} req/s")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'}")


if __name__ == "__main__":
    main()

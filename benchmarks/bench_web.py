"""POST assessment latency over loopback: 16 concurrent clients, the example cases, bounded count.

    .venv/bin/python benchmarks/bench_web.py [--requests 2000] [--clients 16] [--database-url URL]
        [--workers 1] [--assess-workers N]

Starts `revspine serve` (uvicorn) on a free 127.0.0.1 port with a fresh database in a temporary
folder (or the scratch database given by --database-url), creates a user and token, warms up, then
sends the requests and prints, in one run:

1. closed loop (information): median and p99 latency, throughput (the saturation rate) and the
   server's CPU time per request, with 16 clients each waiting for its answer (latency is about
   clients / throughput: p99 under 50 ms with 16 clients needs well over 320 requests/s);
2. open loop: requests due at half the saturation rate, whatever the answers, one every 1/rate seconds
   (as wrk2 sends them): median and p99 (target: p99 at most 3 x the median); then the same with Poisson
   arrivals (information), beside the ratio queueing alone would give in the configuration measured
   (`--assess-workers` processes sharing one queue per serving process; 0: one FIFO server per serving
   process, the event loop's lane);
3. the same work in this process (parse the JSON, validate, assess, store with its audit rows,
   through revspine.workflow, on a database of its own): CPU per request, and the ratio of the
   server's CPU per request to it (target: at most 1.5; the rest is HTTP, routing, authentication
   and the hand-offs), read with the 16 clients (saturated). Two more loads are printed as information:
   the open loop at half the saturation rate, and one request at a time (``--sequential``: nothing
   overlaps, but nothing is batched either: each store is its own commit). A worker that waits between
   requests spends more CPU on each (its caches are cold when it wakes), so the saturated figure is the
   lowest of the three. Each server block runs between two
   blocks of the in-process work, ``--rounds`` times at each load, so that the load of a shared
   machine weighs on both figures alike; each round's ratio is printed.

The clients are benchmarks/loadgen.py (keep-alive connections, prepared request bytes: the load
generator shares the machine). The machine may be shared: compare figures within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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
from typing import Any

import httpx
import orjson
from loadgen import (
    Answer,
    Arrivals,
    CpuTally,
    closed_loop,
    open_loop,
    percentile,
    print_cpu_ratio,
    print_open_loops,
    request_bytes,
)

from revspine.cli.main import example_paths
from revspine.settings import load_settings

TARGET_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def exit_stderr(server: subprocess.Popen[str]) -> str:
    """What a killed server wrote on stderr (a child still holding the pipe open gives up after 10 s)."""
    try:
        return server.communicate(timeout=10)[1] or ""
    except subprocess.TimeoutExpired:
        return "(stderr not read: a child process still holds it open)"


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


def run_open(port: int, token: str, cases: list[dict], pids: list[int], rate: float, requests: int,
             arrivals: Arrivals) -> list[Answer]:
    """``requests`` POST assess calls due at ``rate`` per second (open loop: ``arrivals`` constant or Poisson);
    the answers."""
    auth = {"Authorization": f"Bearer {token}"}
    bodies = [json.dumps(c).encode() for c in cases]
    prepared = [request_bytes("POST", f"/api/patients/{pids[i % len(pids)]}/assess", bodies[i % len(bodies)], auth)
                for i in range(len(pids) * len(bodies))]
    answers = asyncio.run(open_loop(port, lambda i: prepared[i % len(prepared)], rate, requests, arrivals=arrivals))
    bad = [a for a in answers if a.status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} answers were not 200, e.g. HTTP {bad[0].status}: {bad[0].body[:200]!r}")
    return answers


class InProcess:
    """The same work as one POST assess, in this process: parse the JSON body, validate, assess, store the
    case version and assessment with their audit rows (revspine.workflow), one after another, on a
    database of its own. Measured in blocks alternating with the server's (:func:`main`), so that the
    machine's load weighs on both alike."""

    def __init__(self, cases: list[dict], url: str, warmup: int) -> None:
        from revspine.knowledge import load_pack
        from revspine.storage import Database, accounts, migrate, records
        from revspine.workflow import Workflow

        self.db = Database(url)
        if self.db.dialect == "sqlite":
            migrate(self.db)

        def user_and_patient(s: Any) -> tuple[int, int]:
            user = accounts.create_user(s, f"in-process-{uuid.uuid4().hex[:8]}", "in process password 123")
            return user.id, records.create_patient(s, user.id, "In process").id
        self.user_id, self.patient_id = self.db.write(user_and_patient)
        self.flow = Workflow(self.db, load_pack())
        self.bodies = [json.dumps(c).encode() for c in cases]
        self.done = 0
        gc.collect()
        gc.freeze()  # as the serving process does with what it loaded at start-up (web/app.py)
        self._run(warmup)

    def _run(self, n: int) -> float:
        started = time.process_time()
        for i in range(n):
            body = self.bodies[(self.done + i) % len(self.bodies)]
            self.flow.save_and_assess(self.user_id, self.patient_id, orjson.loads(body), source="api")
        self.done += n
        return time.process_time() - started

    def block(self, n: int) -> float:
        """Run ``n`` more; their CPU seconds per request (``CpuTally`` keeps the figures)."""
        return self._run(n) / n

    def close(self) -> None:
        self.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--assess-workers", type=int, default=None,
                    help="assessment processes per serving process (default: the setting's default; 0: on the loop)")
    ap.add_argument("--open-requests", type=int, default=1000, help="requests of the open-loop run")
    ap.add_argument("--in-process", type=int, default=300, help="requests of the in-process runs (all blocks)")
    ap.add_argument("--sequential", type=int, default=400, help="requests sent one at a time (all blocks)")
    ap.add_argument("--rounds", type=int, default=4,
                    help="the closed loop and the in-process work alternate in this many blocks each")
    args = ap.parse_args()
    cases = [json.loads(p.read_text()) for p in example_paths()]
    rounds = max(1, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "REVSPINE_DATA_DIR": tmp, "REVSPINE_LOG_LEVEL": "WARNING"}
        if args.assess_workers is not None:
            env["REVSPINE_ASSESS_WORKERS"] = str(args.assess_workers)
        assess_workers = load_settings(environ=env).assess_workers
        if args.database_url:
            env["REVSPINE_DATABASE_URL"] = args.database_url
        username = f"bench-{uuid.uuid4().hex[:8]}"  # the --database-url may already hold earlier runs
        revspine("user", "create", "--username", username, "--password-stdin", env=env, stdin="bench password 123\n")
        token = revspine("token", "create", "--username", username, env=env).strip()
        local = InProcess(cases, args.database_url or f"sqlite:///{tmp}/in-process.sqlite3", min(args.warmup, 50))
        exe = str(Path(sys.executable).with_name("revspine"))
        command = [exe, "serve", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        lat: list[float] = []
        wall = 0.0
        try:
            deadline = time.monotonic() + 300  # start-up on a loaded machine can take a minute or more
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    server.kill()  # (its stderr is read once it has exited: a live server's would never end)
                    raise SystemExit("the server did not start: " + exit_stderr(server))
                time.sleep(0.2)
            pids = setup(base, token, args.clients)
            run(port, token, cases, pids, args.warmup)
            local_n = max(1, args.in_process // (3 * rounds + 1))
            loaded, alone = CpuTally(server.pid), CpuTally(server.pid)
            before = local.block(local_n)
            for _ in range(rounds):
                loaded.start()
                t0 = time.perf_counter()
                got = run(port, token, cases, pids, args.requests // rounds)
                wall += time.perf_counter() - t0
                after = local.block(local_n)
                loaded.stop(len(got), before, after)
                lat += got
                before = after
                alone.start()  # one request at a time: the server's own cost, no two busy cores slowing each other
                n = len(run(port, token, cases, pids[:1], args.sequential // rounds))
                after = local.block(local_n)
                alone.stop(n, before, after)
                before = after
            saturation = len(lat) / wall
            half, constant = CpuTally(server.pid), []  # the open loop at half the saturation rate, in blocks too
            for _ in range(rounds):
                half.start()
                got_open = run_open(port, token, cases, pids, saturation / 2, args.open_requests // rounds, "constant")
                after = local.block(local_n)
                half.stop(len(got_open), before, after)
                constant += got_open
                before = after
            opened: dict[Arrivals, list[Answer]] = {
                "constant": constant,
                "poisson": run_open(port, token, cases, pids, saturation / 2, args.open_requests, "poisson")}
        finally:
            server.terminate()
            server.wait(timeout=10)
            local.close()
    lat.sort()
    p99 = percentile(lat, 99)
    db = args.database_url.split(":", 1)[0] if args.database_url else "sqlite"
    print(f"POST /api/patients/{{id}}/assess  database={db}  workers={args.workers}  "
          f"assess_workers={assess_workers}  clients={args.clients}  "
          f"requests={len(lat)}  "
          f"cases={len(cases)}")
    print(f"median {statistics.median(lat):.1f} ms   p90 {percentile(lat, 90):.1f} ms   p99 {p99:.1f} ms   "
          f"max {lat[-1]:.1f} ms   throughput {len(lat) / wall:.0f} req/s   "
          f"server CPU {loaded.per_request() * 1000:.2f} ms per request")
    print(f"({args.clients} clients each waiting for their answer need > {args.clients / TARGET_P99_MS * 1000:.0f} "
          f"req/s for even the mean latency to stay under {TARGET_P99_MS:.0f} ms)")
    print(f"closed loop (information): target p99 < {TARGET_P99_MS:.0f} ms: "
          f"{'met' if p99 < TARGET_P99_MS else 'NOT met'}")
    # per serving process; Poisson arrivals split among processes stay Poisson
    print_open_loops("request", saturation / 2, opened, args.workers, max(1, assess_workers))
    work, serving = "parse, validate, assess, store, audit", "HTTP, authentication, hand-offs, store"
    print_cpu_ratio("request", loaded, work, serving, f"{args.clients} clients, saturated", target=True)
    print_cpu_ratio("request", half, work, serving, "in the open loop at half the saturation rate", target=False)
    print_cpu_ratio("request", alone, work, serving, "one request at a time", target=False)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

"""patient-view latency under load: median and p99 at 16 concurrent clients.

Starts the standalone EHR app (revspine.cdshooks.app:create_ehr_app_from_env) with uvicorn on
127.0.0.1 (a free port), trusting a freshly generated ES384 client key, and sends bounded
patient-view calls, each with its own signed JWT, from 16 concurrent clients
(benchmarks/loadgen.py: keep-alive connections, little CPU of their own). The prefetch is a
Synthea patient's record as revspine's prefetch templates select it (Patient, Conditions,
Procedures, the LOINC-coded Observations, active MedicationRequests, AllergyIntolerances,
ImagingStudies, DiagnosticReports), with a lumbar fusion and a post-laminectomy syndrome
diagnosis added so that the whole assessment and card path runs. ``--full`` sends every
resource of the bundle instead.

Prints, in one run: the closed loop with 16 clients (information: latency, throughput = the
saturation rate, server CPU per call); an open loop at half the saturation rate (one call every
1/rate seconds whatever the answers, as wrk2 sends them; target p99 at most 3 x the median), then the
same with Poisson arrivals (information, beside the floor queueing alone gives); and the same work in this
process (parse the request, map the prefetch to a case, assess, build the cards, keep the
assessment, through revspine.cdshooks.service.run_service) with the ratio of the server's CPU per
call to it (target at most 1.5; the rest is HTTP, the signed-token check and the replay table), read
with the 16 clients (saturated); the open loop at half the saturation rate and one call at a time
(``--sequential``) are printed as information (a worker that waits between calls spends more CPU on
each: its caches are cold when it wakes). Each server block runs between two blocks of the
in-process work, ``--rounds`` times at each load, so that the load of a shared machine weighs on both
figures alike; each round's ratio is printed too.
The machine may be shared: compare figures within one run.

Usage: python benchmarks/bench_cds_hooks.py [--requests 800] [--concurrency 16] [--full] [--workers 1]
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
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec
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

from revspine.settings import load_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea-r4" / "bundles"
ISS = "https://bench-ehr.invalid"
SERVICE = "/cds-services/revspine-patient-view"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_prefetch(bundle: dict[str, Any], full: bool) -> tuple[str, dict[str, Any]]:
    from revspine.cdshooks.prefetch import prefetch_templates
    from revspine.knowledge import load_pack

    query = prefetch_templates(load_pack())["observations"]
    loinc = {token.split("|")[1] for token in query.split("code=")[1].split(",")}
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    pid = patient["id"]
    subject = {"reference": f"Patient/{pid}"}
    resources.append({"resourceType": "Procedure", "id": "bench-op", "status": "completed", "subject": subject,
                      "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "22633"}]},
                      "performedDateTime": "2019-06-10",
                      "bodySite": [{"coding": [{"system": "http://snomed.info/sct", "code": "122496007"}],
                                    "text": "L4-L5"}]})
    resources.append({"resourceType": "Condition", "id": "bench-fbss", "subject": subject,
                      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M96.1"}]},
                      "onsetDateTime": "2020-01-15"})

    def searchset(rs: list[dict[str, Any]]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in rs]}

    def of(t: str) -> list[dict[str, Any]]:
        return [r for r in resources if r["resourceType"] == t]

    if full:
        by_type: dict[str, list[dict[str, Any]]] = {}
        for r in resources:
            if r["resourceType"] != "Patient":
                by_type.setdefault(r["resourceType"], []).append(r)
        keys = {"conditions": "Condition", "procedures": "Procedure", "observations": "Observation",
                "medications": "MedicationRequest"}
        prefetch: dict[str, Any] = {k: searchset(by_type.pop(t, [])) for k, t in keys.items()}
        prefetch["patient"] = patient
        for t, rs in by_type.items():
            prefetch[f"other-{t}"] = searchset(rs)
        return pid, prefetch
    obs = [r for r in of("Observation") if any(c.get("code") in loinc for c in r["code"].get("coding", []))]
    return pid, {
        "patient": patient, "conditions": searchset(of("Condition")), "procedures": searchset(of("Procedure")),
        "observations": searchset(obs),
        "medications": searchset([m for m in of("MedicationRequest") if m.get("status") == "active"]),
        "allergies": searchset(of("AllergyIntolerance")), "imaging": searchset(of("ImagingStudy")),
        "reports": searchset(of("DiagnosticReport")),
    }


class InProcess:
    """The same work as one call, in this process: parse the request, map the prefetch to a case, assess,
    build the cards, keep the assessment (as the standalone app does, in memory), through
    revspine.cdshooks.service.run_service with no worker pool. Measured in blocks alternating with the
    server's (:func:`run`), so that the machine's load weighs on both alike."""

    def __init__(self, body: bytes, base: str) -> None:
        from revspine.cdshooks.service import Deps
        from revspine.cdshooks.settings import CdsSettings
        from revspine.cdshooks.store import InMemoryAssessments
        from revspine.knowledge import load_pack

        self.body, self.base = body, base
        self.deps = Deps(pack=load_pack(), settings=CdsSettings(base_url=base), save_assessment=InMemoryAssessments())

    async def _run(self, n: int) -> float:
        from revspine.cdshooks.service import run_service

        started = time.process_time()
        for _ in range(n):
            out = await run_service("revspine-patient-view", self.body, self.deps, app_base=self.base + "/",
                                    client={"iss": ISS})
            assert out.cards
        return time.process_time() - started

    async def warm(self, n: int) -> None:
        gc.collect()
        gc.freeze()  # as the app does at start-up (revspine.cdshooks.app)
        gc.set_threshold(50_000, 20, 20)
        await self._run(n)

    async def block(self, n: int) -> float:
        """Run ``n`` more calls; their CPU seconds per call (``CpuTally`` keeps the figures)."""
        return await self._run(n) / n


async def run(args: argparse.Namespace) -> int:
    path = Path(args.bundle) if args.bundle else max(SHARED.glob("*.json"), key=lambda p: p.stat().st_size)
    bundle = orjson.loads(path.read_bytes())
    pid, prefetch = build_prefetch(bundle, args.full)
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()[0]
    env = {**os.environ, "REVSPINE_CDS__BASE_URL": base, "REVSPINE_CDS__APP_URL": base,
           "REVSPINE_CDS__ISSUERS": json.dumps([{"iss": ISS,
                                                 "jwks": {"keys": [{**jwk, "kid": "k1", "alg": "ES384"}]}}])}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "revspine.cdshooks.app:create_ehr_app_from_env", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
        env={**env, **({"REVSPINE_ASSESS_WORKERS": str(args.assess_workers)} if args.assess_workers is not None
                       else {})})
    assess_workers = load_settings(environ={**os.environ, **(
        {"REVSPINE_ASSESS_WORKERS": str(args.assess_workers)} if args.assess_workers is not None else {})}
    ).assess_workers
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as probe:
            for _ in range(3000):  # up to 300 s: start-up on a loaded machine can take a minute or more
                try:
                    await probe.options("/cds-services")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        now = int(time.time())
        # the closed loop, the calls one at a time, two open loops (constant rate, Poisson): each token used once
        total = args.requests + args.warmup + args.sequential + 2 * args.open_requests
        tokens = [jwt.encode({"iss": ISS, "aud": base + SERVICE, "iat": now, "exp": now + 300,  # 5 min at most
                              "jti": str(uuid.uuid4())}, key, algorithm="ES384", headers={"kid": "k1", "typ": "JWT"})
                  for _ in range(total)]
        body = orjson.dumps({"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                             "context": {"userId": "Practitioner/bench", "patientId": pid}, "prefetch": prefetch})
        local = InProcess(body, base)
        await local.warm(10)
        print(f"bundle {path.name}: prefetch {len(body) / 1e6:.2f} MB "
              f"({'every resource' if args.full else 'selected by the prefetch templates'}); "
              f"{args.requests} calls, {args.concurrency} concurrent clients, {args.workers} server worker(s), "
              f"assess_workers={assess_workers}")
        def make(token: str) -> bytes:
            return request_bytes("POST", SERVICE, body, {"Authorization": f"Bearer {token}"})

        def check(answers: list[Answer]) -> None:
            for a in answers:
                if a.status != 200 or not orjson.loads(a.body)["cards"]:
                    raise SystemExit(f"unexpected answer {a.status}: {a.body[:300]!r}")

        warm, measured = tokens[:args.warmup], tokens[args.warmup:args.warmup + args.requests]
        one_by_one = tokens[args.warmup + args.requests:args.warmup + args.requests + args.sequential]
        later = tokens[args.warmup + args.requests + args.sequential:]
        check(await closed_loop(port, [lambda i: make(warm[i])] * args.concurrency, len(warm)))
        rounds = max(1, args.rounds)
        per_round, local_n = len(measured) // rounds, max(1, args.in_process // (3 * rounds + 1))
        seq_round = len(one_by_one) // rounds
        answers: list[Answer] = []
        wall = 0.0
        loaded, alone = CpuTally(server.pid), CpuTally(server.pid)
        before = await local.block(local_n)
        for r in range(rounds):
            mine = measured[r * per_round:(r + 1) * per_round]
            loaded.start()
            started = time.perf_counter()
            got = await closed_loop(port, [lambda i, mine=mine: make(mine[i])] * args.concurrency, len(mine))
            wall += time.perf_counter() - started
            after = await local.block(local_n)
            loaded.stop(len(got), before, after)
            check(got)
            answers += got
            before = after
            mine = one_by_one[r * seq_round:(r + 1) * seq_round]
            alone.start()  # one call at a time: the server's own cost, no two busy cores slowing each other
            got = await closed_loop(port, [lambda i, mine=mine: make(mine[i])], len(mine))
            after = await local.block(local_n)
            alone.stop(len(got), before, after)
            check(got)
            before = after
        saturation = len(answers) / wall
        half, constant = CpuTally(server.pid), []  # the open loop at half the saturation rate, in blocks too
        per_open = args.open_requests // rounds
        for r in range(rounds):
            mine = later[r * per_open:(r + 1) * per_open]
            half.start()
            got = await open_loop(port, lambda i, mine=mine: make(mine[i]), saturation / 2, len(mine),
                                  arrivals="constant")
            after = await local.block(local_n)
            half.stop(len(got), before, after)
            check(got)
            constant += got
            before = after
        mine = later[args.open_requests:2 * args.open_requests]
        opened: dict[Arrivals, list[Answer]] = {
            "constant": constant,
            "poisson": await open_loop(port, lambda i: make(mine[i]), saturation / 2, len(mine), arrivals="poisson")}
        check(opened["poisson"])
        latencies = [a.ms for a in answers]
        statuses: dict[int, int] = {}
        for a in answers:
            statuses[a.status] = statuses.get(a.status, 0) + 1
        latencies.sort()
        p99 = percentile(latencies, 99)
        print(f"load average before the run: {load_before:.1f} on {os.cpu_count()} cores")
        print(f"status {statuses}; throughput {len(latencies) / wall:.0f} calls/s; server CPU "
              f"{loaded.per_request() * 1000:.1f} ms per call")
        print(f"patient-view latency: median {statistics.median(latencies):.1f} ms, "
              f"p90 {percentile(latencies, 90):.1f} ms, p99 {p99:.1f} ms, "
              f"max {latencies[-1]:.1f} ms (closed loop, information: target p99 < 50 ms: "
              f"{'met' if p99 < 50 else 'NOT met'})")
        print_open_loops("call", saturation / 2, opened, args.workers, max(1, assess_workers))
    finally:
        server.terminate()
        server.wait(timeout=10)
    work, serving = "parse, prefetch mapping, assess, cards, keep", "HTTP, token check, hand-offs, keep"
    print_cpu_ratio("call", loaded, work, serving, f"{args.concurrency} clients, saturated", target=True)
    print_cpu_ratio("call", half, work, serving, "in the open loop at half the saturation rate", target=False)
    print_cpu_ratio("call", alone, work, serving, "one call at a time", target=False)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle", nargs="?")
    ap.add_argument("--requests", type=int, default=800)
    ap.add_argument("--warmup", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--assess-workers", type=int, default=None,
                    help="assessment processes per serving process (default: the setting's default; 0: on the loop)")
    ap.add_argument("--open-requests", type=int, default=400, help="calls of the open-loop run")
    ap.add_argument("--in-process", type=int, default=100, help="calls of the in-process runs (all blocks)")
    ap.add_argument("--sequential", type=int, default=200, help="calls sent one at a time (all blocks)")
    ap.add_argument("--rounds", type=int, default=4,
                    help="the closed loop and the in-process work alternate in this many blocks each")
    return asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())

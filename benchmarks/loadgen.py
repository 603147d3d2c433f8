"""A small closed-loop HTTP/1.1 load generator for the benchmarks, and the server's CPU time.

The load generator shares the machine with the server (two cores here), so its own cost shows up
in the server's latency. httpx's AsyncClient spent about 2 ms of CPU per request (a trivial
``GET /healthz`` topped out at ~540 requests/s with it, ~3,300 with this); this one writes
prepared request bytes on keep-alive connections and reads ``Content-Length`` answers, so the
figures describe the server. In the closed loop each client sends its next request when the previous
answer is in; in the open loop (:func:`open_loop`) requests arrive at a set rate whatever the answers,
as patients' charts are opened, and each latency counts from when its request was due.

The generator's own pauses would count as the server's latency, so during a run its garbage collector
is off (a full collection walked every answer and task kept so far, at random moments) and each
answer's send lag (how late the generator itself sent the request: :func:`send_lag`) is kept, to tell
the generator's share of a tail from the server's. Neither changes what is measured: latency still
counts from the moment a request was due.

The open loop sends at a constant rate (one request every ``1 / rate`` seconds, as wrk2 does): at half the
saturation rate, what it shows above the service time is the server's own tail. With Poisson arrivals queueing
alone sets a floor under the ratio: one FIFO server with a fixed service time at half its capacity (M/D/1,
utilisation 0.5) answers its p99 at about 4.3 x its median (simulated by :func:`md1_p99_over_median`); two
servers sharing one queue, about 2.6 x. Both benchmarks print that run too, as information
(:func:`print_open_loops`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Answer", "request_bytes", "closed_loop", "open_loop", "cpu_seconds", "cpu_split", "percentile",
           "summary", "send_lag", "md1_p99_over_median", "print_cpu_ratio", "print_open_loops", "TARGET_CPU_RATIO",
           "CpuTally", "TARGET_OPEN_P99_OVER_MEDIAN", "Arrivals"]

#: Issue 14: the server's CPU per request at most 1.5 times the in-process CPU of the same work.
TARGET_CPU_RATIO = 1.5
#: Issue 14: in the open loop at half the saturation rate, p99 at most 3 times the median.
TARGET_OPEN_P99_OVER_MEDIAN = 3.0

Arrivals = Literal["constant", "poisson"]


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float
    lag_ms: float = 0.0  # open loop: how late the generator sent the request (its own delay, in ``ms`` too)
    due: float = 0.0     # open loop: when the request was due (time.perf_counter())


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The generator's garbage collector off for a run (collected before, and after)."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        gc.collect()


def request_bytes(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> tuple[int, bytes]:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("the load generator reads only Content-Length answers")
    return status, await reader.readexactly(length)


async def closed_loop(port: int, requests: Sequence[Callable[[int], bytes]], total: int) -> list[Answer]:
    """``len(requests)`` clients, each on its own connection; client ``k`` sends ``requests[k](i)``
    for the i-th request overall, until ``total`` answers are in."""
    answers: list[Answer] = []
    counter = iter(range(total))

    async def client(make: Callable[[int], bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        try:
            for i in counter:
                data = make(i)
                start = time.perf_counter()
                status, body = await _exchange(reader, writer, data)
                answers.append(Answer(status, body, (time.perf_counter() - start) * 1000))
        finally:
            writer.close()

    with _no_gc():
        await asyncio.gather(*(client(make) for make in requests))
    return answers


async def open_loop(port: int, make: Callable[[int], bytes], rate: float, total: int, seed: int = 1,
                    arrivals: Arrivals = "constant") -> list[Answer]:
    """``total`` requests due at ``rate`` per second whatever the answers: one every ``1 / rate`` seconds
    (``constant``, as wrk2 sends them) or at random with that mean (``poisson``); request ``i`` is ``make(i)``.
    Each goes out on an idle keep-alive connection, or a new one when none
    is idle. Latency is counted from the moment the request was due, so a slow answer that delays the
    next send still counts its wait (no coordinated omission)."""
    rng = random.Random(seed)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    opened: list[asyncio.StreamWriter] = []
    answers: list[Answer] = []

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while idle:  # the most recently used first; the server closes a connection idle for 5 s
            reader, writer, since = idle.pop()
            if time.perf_counter() - since < 2.0:
                return reader, writer
            writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        opened.append(writer)
        return reader, writer

    async def one(i: int, due: float) -> None:
        lag = time.perf_counter() - due  # the generator's own delay in starting this request
        reader, writer = await connection()
        status, body = await _exchange(reader, writer, make(i))
        answers.append(Answer(status, body, (time.perf_counter() - due) * 1000, lag * 1000, due))
        idle.append((reader, writer, time.perf_counter()))

    tasks = []
    with _no_gc():
        due = time.perf_counter()
        for i in range(total):
            due += rng.expovariate(rate) if arrivals == "poisson" else 1.0 / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    for writer in opened:
        writer.close()
    return answers


def print_open_loops(unit: str, rate: float, runs: dict[Arrivals, list[Answer]], queues: int, servers: int) -> None:
    """The open-loop lines both server benchmarks print. The target (p99 at most 3 x the median) is read on the
    constant-rate run: at half the saturation rate it shows the server's own tail (pauses, contention, hand-offs).
    With Poisson arrivals queueing alone already gives p99/median 2.6 (two servers sharing a queue) to 4.3 (one)
    at that utilisation (:func:`md1_p99_over_median`), before the server adds anything, so that run is printed as
    information beside its floor."""
    for arrivals, answers in runs.items():
        median, p99, top = summary([a.ms for a in answers])
        lag_median, lag_p99 = send_lag(answers)
        if arrivals == "constant":
            head = f"open loop, one {unit} every {1000 / rate:.1f} ms ({rate:.0f}/s, half the saturation rate)"
            verdict = (f"target <= {TARGET_OPEN_P99_OVER_MEDIAN:.0f}: "
                       f"{'met' if p99 <= TARGET_OPEN_P99_OVER_MEDIAN * median else 'NOT met'}")
        else:
            head = "open loop, Poisson arrivals at the same mean rate (information)"
            verdict = (f"queueing alone: {queues} queue(s), each served by {servers} process(es) in FIFO, "
                       f"M/D/{servers} at 0.5: {md1_p99_over_median(servers=servers):.1f}")
        print(f"{head}, {len(answers)} {unit}s: median {median:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms, "
              f"p99/median {p99 / median:.1f} ({verdict})")
        print(f"  the load generator's own send lag: median {lag_median:.1f} ms, p99 {lag_p99:.1f} ms")


def summary(latencies_ms: Sequence[float]) -> tuple[float, float, float]:
    """(median, p99, max) of some latencies in ms."""
    values = sorted(latencies_ms)
    return statistics.median(values), percentile(values, 99), values[-1]


def send_lag(answers: Sequence[Answer]) -> tuple[float, float]:
    """(median, p99) of how late the generator itself sent the open loop's requests, in ms."""
    values = sorted(a.lag_ms for a in answers)
    return statistics.median(values), percentile(values, 99)


def md1_p99_over_median(utilisation: float = 0.5, servers: int = 1, n: int = 200_000, seed: int = 1) -> float:
    """p99 / median of the response time of ``servers`` FIFO servers sharing one queue, fixed service time,
    Poisson arrivals at ``utilisation`` of their capacity: what queueing alone gives (no pause, no jitter)."""
    rng = random.Random(seed)
    free = [0.0] * servers
    t, times = 0.0, []
    for _ in range(n):
        t += rng.expovariate(utilisation * servers)
        k = min(range(servers), key=free.__getitem__)
        free[k] = max(t, free[k]) + 1.0
        times.append(free[k] - t)
    times.sort()
    return percentile(times, 99) / statistics.median(times)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of already sorted values."""
    rank = max(1, min(len(sorted_values), int(round(q / 100 * len(sorted_values)))))
    return sorted_values[rank - 1]


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for c in children:
        out += _tree(int(c))
    return out


def _cpu(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children, e.g. uvicorn's workers (Linux /proc)."""
    return sum(_cpu(p) for p in _tree(pid)) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds of a process tree by role: the processes that serve HTTP (uvicorn's, or the one
    process), and the assessment and other worker processes started with ``spawn`` (Linux /proc)."""
    out = {"serving": 0.0, "workers": 0.0}
    for p in _tree(pid):
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            continue
        role = "workers" if b"multiprocessing" in cmd and b"spawn_main" in cmd else "serving"
        out[role] += _cpu(p) / os.sysconf("SC_CLK_TCK")
    return out


@dataclass
class CpuTally:
    """The server's CPU over blocks of requests, each block between two blocks of the same work in process
    (``before`` and ``after``: in-process CPU per request), so that the load of a shared machine weighs on both
    alike; with the split between the serving process and the assessment workers (:func:`cpu_split`)."""

    pid: int
    blocks: list[tuple[float, float, float]] = field(default_factory=list)
    split: dict[str, float] = field(default_factory=lambda: {"serving": 0.0, "workers": 0.0})
    cpu: float = 0.0
    requests: int = 0
    _start: tuple[float, dict[str, float]] = (0.0, {})

    def start(self) -> None:
        self._start = (cpu_seconds(self.pid), cpu_split(self.pid))

    def stop(self, requests: int, before: float, after: float) -> None:
        """End the block begun by :meth:`start`: ``requests`` answered, the in-process figures around it."""
        cpu0, split0 = self._start
        used = cpu_seconds(self.pid) - cpu0
        self.cpu += used
        self.requests += requests
        for k, v in cpu_split(self.pid).items():
            self.split[k] += v - split0[k]
        self.blocks.append((used / requests, before, after))

    def per_request(self) -> float:
        return self.cpu / self.requests

    def local_per_request(self) -> float:
        """The in-process CPU per request over the blocks around the server's (each in-process block counted once)."""
        values = [self.blocks[0][1]] + [a for _, _, a in self.blocks]
        return sum(values) / len(values)


def print_cpu_ratio(unit: str, tally: CpuTally, work: str, serving: str, how: str, target: bool) -> None:
    """The CPU lines both server benchmarks print: the server's CPU per ``unit`` (measured ``how``) against the
    in-process CPU of the same ``work``, the ratio overall (``target``: judged against the 1.5 target, else printed
    as information) and per round, and the split between the serving process (doing ``serving``) and the
    assessment workers; seconds in, milliseconds out."""
    server_cpu, local_cpu = tally.per_request(), tally.local_per_request()
    ratio = server_cpu / local_cpu
    verdict = (f"target <= {TARGET_CPU_RATIO}: {'met' if server_cpu <= TARGET_CPU_RATIO * local_cpu else 'NOT met'}"
               if target else "information")
    print(f"CPU per {unit}, {how}: server {server_cpu * 1000:.2f} ms, the same work in process "
          f"{local_cpu * 1000:.2f} ms ({work}); ratio {ratio:.2f} ({verdict})")
    print("  by round (server block between two in-process blocks): " + "; ".join(
        f"server {s * 1000:.2f} / in process {(b + a) / 2 * 1000:.2f} ms = {2 * s / (b + a):.2f}"
        for s, b, a in tally.blocks))
    n = tally.requests
    print(f"  of which the serving process {tally.split['serving'] * 1000 / n:.2f} ms ({serving}), "
          f"the assessment workers {tally.split['workers'] * 1000 / n:.2f} ms")

"""A small closed-loop HTTP/1.1 load generator for the benchmarks, and the server's CPU time.

The load generator shares the machine with the server (two cores here), so its own cost shows up
in the server's latency. httpx's AsyncClient spent about 2 ms of CPU per request (a trivial
``GET /healthz`` topped out at ~540 requests/s with it, ~3,300 with this); this one writes
prepared request bytes on keep-alive connections and reads ``Content-Length`` answers, so the
figures describe the server. Each client sends its next request when the previous answer is in.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Answer", "request_bytes", "closed_loop", "cpu_seconds", "percentile"]


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float


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

    await asyncio.gather(*(client(make) for make in requests))
    return answers


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children, e.g. uvicorn's workers (Linux /proc)."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")

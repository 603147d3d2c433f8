"""First come, first served for the CPU-heavy part of a request, on the event loop.

The web app assesses cases in worker processes (revspine/assesspool.py); a lane is what it uses with
``assess_workers = 0``, or when it was handed a knowledge pack object (tests) that worker processes
cannot load by themselves.

The engine, FHIR mapping and a SQLite write are computation that holds Python's interpreter lock
whichever thread runs it, so they run on the event loop itself. Run there directly, though, every
request read in one turn of the loop is worked through before the loop looks at the network again:
a request that arrives just after that look waits for the whole batch and then its own, and under
load the same clients kept missing the look (p99 about twice the median with 16 clients). A lane
runs one job per turn of the loop and reads the network between jobs, so jobs run in the order
their requests arrived.

Only for jobs whose input is small: requests waiting in the lane keep their parsed input alive,
and for CDS Hooks calls (160 kB of prefetched FHIR each) that made every garbage collection
slower than the fairness gained (benchmarks/bench_cds_hooks.py: 4.4-5.4 ms of CPU per call
instead of 3.1-3.3), so the CDS service does not use one.

    lane = Lane()
    result = await lane.run(lambda: assess(case, pack))
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Lane"]

T = TypeVar("T")


class _Queue:
    def __init__(self) -> None:
        self.jobs: deque[tuple[Callable[[], Any], asyncio.Future[Any]]] = deque()
        self.worker: asyncio.Task[None] | None = None


class Lane:
    """A FIFO of synchronous jobs run one per event-loop turn, one queue per event loop (one lane per app)."""

    def __init__(self) -> None:
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()

    async def run(self, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[T] = loop.create_future()
        queue.jobs.append((job, future))
        if queue.worker is None or queue.worker.done():
            queue.worker = loop.create_task(self._work(queue))
        return await future

    @staticmethod
    async def _work(queue: _Queue) -> None:
        while queue.jobs:
            job, future = queue.jobs.popleft()
            if future.cancelled():  # the client went away while waiting
                continue
            try:
                future.set_result(job())
            except Exception as exc:  # the awaiting request handles it (422, 404, ...)
                future.set_exception(exc)
            await asyncio.sleep(0)  # read the network before the next job

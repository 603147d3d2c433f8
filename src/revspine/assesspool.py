"""Cases validated and assessed in a pool of worker processes that share one queue.

The engine is pure computation: run in the serving process, on its event loop or in any of its
threads, it holds that process's interpreter lock, so one process assesses one case at a time and a
burst of assessments queues behind one core (and every other request of that process with it). Here
the serving process keeps HTTP, authentication and its one database writer, and hands each case
(the JSON as entered) to the next free worker of a :class:`~revspine.procpool.ProcessPool`, in
arrival order; the worker validates and assesses it and answers the :class:`~revspine.workflow.Worked`
with the assessment already serialised (orjson bytes), which the serving process stores and answers
as they are, never serialising it again. Several workers taking jobs from one queue are one queue
with several servers, which keeps the slowest answers near the typical ones (benchmarks/bench_web.py).

Each worker loads the same knowledge pack as the app (the same pack folders and parse cache), once,
when it starts.

    pool = shared_assess_pool(2, settings)
    worked = await pool.work_out(case_json)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from .errors import RevspineError
from .knowledge import KnowledgePack, load_pack
from .procpool import ProcessPool
from .settings import Settings
from .workflow import Worked, work_out_body

__all__ = ["AssessPool", "AssessBusy", "shared_assess_pool"]

T = TypeVar("T")

#: Cases that may wait for a worker, per worker; more are answered 503.
QUEUE_PER_WORKER = 64

_PACK: KnowledgePack | None = None  # in a worker process: the pack it assesses with


class AssessBusy(RevspineError):
    def __init__(self) -> None:
        super().__init__("too many assessments are waiting; try again in a few seconds", status=503,
                         title="Service unavailable")


def _load_pack(pack_dirs: list[str], cache_dir: str | None) -> None:
    """A worker's initializer: load the app's knowledge pack, then move it (and the modules) out of the
    garbage collector's sight, as the serving process does (web/app.py ``freeze_startup_objects``):
    otherwise every full collection walks the whole pack, a pause of 100-400 ms measured on a loaded
    machine, felt by every case waiting for that worker."""
    global _PACK
    _PACK = load_pack([Path(d) for d in pack_dirs], cache_dir=Path(cache_dir) if cache_dir else None)
    gc.collect()
    gc.freeze()
    # A worker runs one job at a time and keeps nothing of it: fewer, larger young-generation collections
    # (as the CDS Hooks app's serving process has, revspine/cdshooks/app.py). A hook call parses and maps
    # 160 kB of prefetched FHIR; with the default threshold (700) its collections cost about 8 % more CPU.
    gc.set_threshold(50_000, 20, 20)


def _work_out(body: bytes, today: date | None) -> Worked:
    if _PACK is None:  # pragma: no cover - the initializer always ran first
        raise RuntimeError("the assessment worker has no knowledge pack")
    return work_out_body(body, _PACK, today=today)


def _with_pack(fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    if _PACK is None:  # pragma: no cover - the initializer always ran first
        raise RuntimeError("the assessment worker has no knowledge pack")
    return fn(_PACK, *args)


def _pack_version() -> str:
    return _PACK.version if _PACK is not None else ""


class AssessPool(ProcessPool):
    """``await pool.work_out(raw)``: :func:`revspine.workflow.work_out` in a worker process."""

    def __init__(self, workers: int, pack_dirs: list[Path], cache_dir: Path | None) -> None:
        super().__init__(workers, workers * QUEUE_PER_WORKER, AssessBusy, initializer=_load_pack,
                         initargs=([str(d) for d in pack_dirs], str(cache_dir) if cache_dir else None),
                         warm_job=(_pack_version, ()))

    async def work_out(self, body: bytes, *, today: date | None = None) -> Worked:
        """:func:`revspine.workflow.work_out_body`: the case JSON as the request sent it, parsed, validated
        and assessed in a worker."""
        return await self.run(_work_out, body, today)

    async def with_pack(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(pack, *args)`` in a worker, with the worker's knowledge pack (``fn`` a module-level function;
        it and its arguments and result must pickle), e.g. a CDS Hooks call (revspine/cdshooks/service.py)."""
        return await self.run(_with_pack, fn, args)


_SHARED: dict[tuple[int, tuple[str, ...], str], AssessPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_assess_pool(workers: int, settings: Settings) -> AssessPool:
    """One pool per process for these sizes and this pack: every app built in this process (tests build
    many) shares its worker processes, started once."""
    dirs, cache = settings.pack_dirs(), settings.knowledge_cache()
    key = (workers, tuple(str(d) for d in dirs), str(cache))
    with _SHARED_LOCK:
        pool = _SHARED.get(key)
        if pool is None:
            pool = _SHARED[key] = AssessPool(workers, dirs, cache)
        return pool

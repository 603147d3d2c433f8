"""A bounded pool of worker processes for CPU-heavy jobs, awaited from the event loop.

Python runs one thread of a process at a time, so CPU-heavy work (rendering a PDF, assessing a case)
done in the serving process, in any of its threads, holds up every other request of that process.
Here each job runs in one of ``workers`` separate processes that share one queue (first come, first
served: the next free process takes the oldest job); at most ``queue`` more jobs wait, and a job
beyond that raises the pool's ``busy`` error instead of piling up.

What keeps it working on a busy machine:

- The workers run at the serving process's own CPU priority (a niced worker on a shared machine got
  a tenth of the share of every other busy process: a 1 s PDF took 15 s).
- A worker imports only what its job needs (never the web application), and is started and warmed
  when the app starts (:meth:`ProcessPool.warm`).
- A worker that dies (killed, out of memory) breaks a ``ProcessPoolExecutor`` for good; the pool then
  starts new workers and runs the job once more instead of failing every later job.
- Workers are started with ``spawn`` (no lock or connection of the serving process is inherited), and
  each exits when the process that started it is gone (a serving process killed with -9 leaves no
  worker behind).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from .errors import RevspineError

__all__ = ["ProcessPool"]

T = TypeVar("T")


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), name="revspine-orphan-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _nothing() -> None:
    return None


class ProcessPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` in a worker process (``fn`` and its arguments and result
    must pickle). ``busy`` makes the error raised when every worker and queue slot is taken;
    ``initializer(*initargs)`` runs once in each new worker."""

    def __init__(self, workers: int, queue: int, busy: Callable[[], RevspineError], *,
                 initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                 warm_job: tuple[Callable[..., Any], tuple[Any, ...]] | None = None) -> None:
        self.workers, self.queue = max(1, workers), max(0, queue)
        self._busy = busy
        self._warm_job = warm_job
        self._initializer, self._initargs = initializer, initargs
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._waiting = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                     initializer=_start_worker,
                                                     initargs=(os.getpid(), self._initializer, self._initargs))
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken executor (once, whoever notices first); the next job starts new workers."""
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def _take_slot(self) -> None:
        with self._lock:
            if self._waiting >= self.workers + self.queue:
                raise self._busy()
            self._waiting += 1

    def _free_slot(self) -> None:
        with self._lock:
            self._waiting -= 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; its result, or its exception."""
        self._take_slot()
        try:
            for attempt in (1, 2):
                executor = self._pool()
                try:
                    return await asyncio.wrap_future(executor.submit(fn, *args))
                except BrokenProcessPool:
                    self._replace(executor)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            self._free_slot()

    def warm(self) -> None:
        """Start the workers now (each runs the initializer) and have each run ``warm_job`` once in the
        background (imports, caches), not on first use."""
        executor = self._pool()
        fn, args = self._warm_job or (_nothing, ())

        def done(future: Future[Any]) -> None:
            if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
                self._replace(executor)

        for _ in range(self.workers):
            executor.submit(fn, *args).add_done_callback(done)

    def close(self, *, wait: bool = False) -> None:
        """Stop the workers (jobs still waiting are cancelled; the next job starts new workers). ``wait``:
        until they have exited and the pool's queues are closed (a server's shutdown: a process that ends
        by a signal runs no exit handlers, and its pipes' semaphores were reported as leaked)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

"""PDF rendering in a bounded pool of worker processes, off the event loop and off its interpreter lock.

WeasyPrint spends seconds of pure-Python work on a report: run in a thread, it held the serving
process's interpreter lock, and eight concurrent downloads made ``/healthz`` wait 33 s. Here each
document is rendered in one of ``workers`` separate processes (started on first use, with the
``spawn`` method so no lock of the serving process is inherited); at most ``queue`` more wait for
one, and a request beyond that is answered 503 instead of piling up. The workers run at a lower
CPU priority (nice 10), so on a small machine the serving process keeps answering first.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from ..errors import RevspineError

__all__ = ["PdfPool", "PdfBusy", "shared_pool"]


class PdfBusy(RevspineError):
    def __init__(self) -> None:
        super().__init__("the PDF renderer is busy; try again in a few seconds", status=503,
                         title="Service unavailable")


def _render(document: str) -> bytes:
    from ..report.pdf import _pdf

    return _pdf(document)


def _warm() -> None:
    """Import WeasyPrint and render once in the worker, so the first real download does not wait for it."""
    _render("<p>warm</p>")


class PdfPool:
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        self.workers, self.queue = max(1, workers), max(0, queue)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._waiting = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                     initializer=os.nice, initargs=(10,))
            return self._executor

    async def render(self, document: str) -> bytes:
        """The PDF of an HTML document (self-contained: the renderer fetches nothing)."""
        if self._waiting >= self.workers + self.queue:
            raise PdfBusy()
        self._waiting += 1
        try:
            return await asyncio.wrap_future(self._pool().submit(_render, document))
        finally:
            self._waiting -= 1

    def warm(self) -> None:
        """Start the workers and have them load WeasyPrint now, in the background (not on first use)."""
        self._pool().submit(_warm)

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


_SHARED: dict[tuple[int, int], PdfPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int, queue: int) -> PdfPool:
    """One pool per process for these sizes: every app built in this process (tests build many) shares
    its worker processes, started once and warmed in the background."""
    with _SHARED_LOCK:
        pool = _SHARED.get((workers, queue))
        if pool is None:
            pool = _SHARED[(workers, queue)] = PdfPool(workers, queue)
        return pool

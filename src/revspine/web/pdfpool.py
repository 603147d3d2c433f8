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

__all__ = ["PdfPool", "PdfBusy"]


class PdfBusy(RevspineError):
    def __init__(self) -> None:
        super().__init__("the PDF renderer is busy; try again in a few seconds", status=503,
                         title="Service unavailable")


def _render(document: str) -> bytes:
    from ..report.pdf import _pdf

    return _pdf(document)


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

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

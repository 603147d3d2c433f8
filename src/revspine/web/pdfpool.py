"""PDF rendering in a bounded pool of worker processes, off the event loop and off its interpreter lock.

WeasyPrint spends seconds of pure-Python work on a report: run in a thread, it held the serving
process's interpreter lock, and eight concurrent downloads made ``/healthz`` wait 33 s. Here each
document is rendered in one of ``workers`` separate processes; at most ``queue`` more wait for one,
and a request beyond that is answered 503 instead of piling up.

What keeps it working on a busy machine:

- The workers run at the serving process's own CPU priority. (They once ran at nice 10: on a
  shared machine a niced worker gets a tenth of the share of every other busy process, so a 1 s
  render took 15 s and the first one, with its imports, 55 s; the clinician waiting for the PDF
  waited behind everything else.) With fewer workers than cores the serving process keeps a core.
- A worker imports only the renderer (:func:`revspine.report.pdf.pdf_from_html` and WeasyPrint),
  not the web application, and is started and warmed when the app starts (:meth:`PdfPool.warm`).
- A worker that dies (killed, out of memory) breaks a ``ProcessPoolExecutor`` for good; the pool
  then starts new workers and renders the document once more instead of failing every later PDF.
- Workers are started with ``spawn`` (no lock or connection of the serving process is inherited).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import RevspineError
from ..report.pdf import pdf_from_html

__all__ = ["PdfPool", "PdfBusy", "shared_pool"]


class PdfBusy(RevspineError):
    def __init__(self) -> None:
        super().__init__("the PDF renderer is busy; try again in a few seconds", status=503,
                         title="Service unavailable")


_WARM_DOCUMENT = "<p>warm</p>"


class PdfPool:
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        self.workers, self.queue = max(1, workers), max(0, queue)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._waiting = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken executor (once, whoever notices first); the next submit starts new workers."""
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def _take_slot(self) -> None:
        with self._lock:
            if self._waiting >= self.workers + self.queue:
                raise PdfBusy()
            self._waiting += 1

    def _free_slot(self) -> None:
        with self._lock:
            self._waiting -= 1

    async def render(self, document: str) -> bytes:
        """The PDF of an HTML document (self-contained: the renderer fetches nothing)."""
        self._take_slot()
        try:
            for attempt in (1, 2):
                executor = self._pool()
                try:
                    return await asyncio.wrap_future(executor.submit(pdf_from_html, document))
                except BrokenProcessPool:
                    self._replace(executor)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            self._free_slot()

    def warm(self) -> None:
        """Start the workers now and have each load WeasyPrint in the background, not on first use."""
        executor = self._pool()

        def done(future: Future[bytes]) -> None:
            if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
                self._replace(executor)

        for _ in range(self.workers):
            executor.submit(pdf_from_html, _WARM_DOCUMENT).add_done_callback(done)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


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

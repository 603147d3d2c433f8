"""PDF rendering in a bounded pool of worker processes, off the event loop and off its interpreter lock.

WeasyPrint spends seconds of pure-Python work on a report: run in a thread, it held the serving
process's interpreter lock, and eight concurrent downloads made ``/healthz`` wait 33 s. Here each
document is rendered in one of ``workers`` separate processes (revspine/procpool.py); at most ``queue``
more wait for one, and a request beyond that is answered 503 instead of piling up. A worker imports
only the renderer (:func:`revspine.report.pdf.pdf_from_html` and WeasyPrint), not the web
application, and loads WeasyPrint when the app starts (:meth:`PdfPool.warm`). With fewer workers than
cores the serving process keeps a core.
"""

from __future__ import annotations

import threading

from ..errors import RevspineError
from ..procpool import ProcessPool
from ..report.pdf import pdf_from_html

__all__ = ["PdfPool", "PdfBusy", "shared_pool"]


class PdfBusy(RevspineError):
    def __init__(self) -> None:
        super().__init__("the PDF renderer is busy; try again in a few seconds", status=503,
                         title="Service unavailable")


_WARM_DOCUMENT = "<p>warm</p>"


class PdfPool(ProcessPool):
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        super().__init__(workers, queue, PdfBusy, warm_job=(pdf_from_html, (_WARM_DOCUMENT,)))

    async def render(self, document: str) -> bytes:
        """The PDF of an HTML document (self-contained: the renderer fetches nothing)."""
        return await self.run(pdf_from_html, document)


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

"""SQLite WAL checkpoints in a background thread, off the path of the request that commits.

In WAL mode SQLite copies the log back into the database file ("checkpoint") when the log passes
``wal_autocheckpoint`` pages, inside the COMMIT of whichever writer crossed the line: with
assessments of ~60 kB that was a 20 ms stall about every 50 saves, felt by every request waiting
behind it. Here a daemon thread runs a PASSIVE checkpoint (it never blocks readers or writers)
every ``interval`` seconds, and the connections' own automatic checkpoint stays only as a safety
net at ``SAFETY_NET_PAGES``. SQLite releases Python's interpreter lock while it checkpoints.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

__all__ = ["WalCheckpointer", "SAFETY_NET_PAGES"]

log = logging.getLogger("revspine.storage")

#: ``PRAGMA wal_autocheckpoint`` on every connection (40 MB of log with 4 kB pages).
SAFETY_NET_PAGES = 10000


class WalCheckpointer:
    """Start with :meth:`start` (idempotent); :meth:`stop` ends the thread."""

    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self.engine, self.interval = engine, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.copied = 0  # pages the thread has copied back so far

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="revspine-wal-checkpoint", daemon=True)
                self._thread.start()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint now: (busy flag, pages in the log, pages copied back)."""
        raw: Any = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            row = cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cur.close()
            return int(row[0]), int(row[1]), int(row[2])
        finally:
            raw.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.copied += self.checkpoint()[2]
            except Exception as exc:  # never kill the thread; the safety net still checkpoints
                log.warning("background checkpoint failed", extra={"event": "wal_checkpoint_failed",
                                                                    "error_type": type(exc).__name__})

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

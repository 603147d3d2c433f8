"""SQLite WAL checkpoints off the path of the requests that commit.

In WAL mode SQLite copies the log back into the database file ("checkpoint") when the log passes
``wal_autocheckpoint`` pages, inside the COMMIT of whichever writer crossed the line, and the log
restarts from its beginning only after a checkpoint that copied all of it. Under continuous writes a
checkpoint running beside the writer never copies all of it (the writer appends meanwhile), so the
log grew to the automatic checkpoint's size and the writer then paid for the whole checkpoint in one
commit: a sync of the log, a sync of every database page copied since the last complete checkpoint
(tens of MB) and, at the next write, a sync of the restarted log's header: stalls of 30-50 ms that
every request queued behind the writer waited for (docs/web.md).

Here the work is split so that the writer only ever waits for the little that must not overlap a write:

* a daemon thread runs a PASSIVE checkpoint every ``interval`` seconds (it never blocks readers or the
  writer) and then flushes the database pages it copied (``fdatasync``), off the request path;
* once the log holds ``restart_pages`` pages, the thread also flushes the log and asks the writer
  (:meth:`Writer.when_idle`: when no write is queued) to run one more PASSIVE checkpoint, which
  completes because no write of this process overlaps it, and whose syncs now find little left to
  write; the log then restarts at the next write;
* the connections' own automatic checkpoint stays as a safety net at ``SAFETY_NET_PAGES``.

SQLite releases Python's interpreter lock while it checkpoints, and so does ``os.fdatasync``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from sqlalchemy import Engine

from .writer import Writer

__all__ = ["WalCheckpointer", "SAFETY_NET_PAGES", "RESTART_PAGES"]

log = logging.getLogger("revspine.storage")

#: Log size (pages) at which the writer completes a checkpoint, so that the log restarts (160 MB with 4 kB
#: pages: about 1,200 stored assessments). Each restart costs the writer two or three disk syncs whatever the log
#: holds (a device flush each), so the larger this is, the rarer they are. A quiet server never gets there: its
#: background checkpoints complete between writes, and the log restarts at the next write.
RESTART_PAGES = 40000

#: ``PRAGMA wal_autocheckpoint`` on every connection: a safety net well above ``RESTART_PAGES`` (400 MB).
SAFETY_NET_PAGES = 100000


class WalCheckpointer:
    """Start with :meth:`start` (idempotent); :meth:`stop` ends the thread."""

    def __init__(self, engine: Engine, interval: float = 0.5, *, database: str | None = None,
                 writer: Writer | None = None, restart_pages: int = RESTART_PAGES) -> None:
        """``database``: the SQLite file (its pages are flushed after each checkpoint); ``writer``: the process's
        writer, which completes the checkpoint once the log holds ``restart_pages`` pages."""
        self.engine, self.interval = engine, interval
        self.database, self.writer, self.restart_pages = database, writer, restart_pages
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.copied = 0     # pages the thread has copied back so far
        self.completed = 0  # checkpoints the writer completed (the log restarts after each)
        self._seen = (0, 0)  # (pages in the log, pages copied back) at the last tick

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

    def tick(self) -> None:
        """What the thread does every ``interval``: copy back, flush, and ask for completion when the log is large."""
        _, pages, copied = self.checkpoint()
        last_pages, last_copied = self._seen
        self._seen = (pages, copied)
        # SQLite counts the pages copied back since the log restarted: new ones are those past the last count
        # (all of them after a restart, when the log is shorter than it was)
        new = copied - last_copied if pages >= last_pages and copied >= last_copied else copied
        self.copied += new
        if self.database is None:
            return
        if new:  # an idle server's checkpoint copies nothing: no flush
            _flush(self.database)
        if pages >= self.restart_pages and self.writer is not None:
            _flush(f"{self.database}-wal")  # what the writer's checkpoint would sync: done here instead
            self.writer.when_idle(self.complete)

    def complete(self) -> None:
        """A PASSIVE checkpoint on the writer thread (no write of this process overlaps it): it copies the rest of
        the log, and then the log restarts at the next write."""
        busy, pages, copied = self.checkpoint()
        if not busy and copied == pages:
            self.completed += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # never kill the thread; the safety net still checkpoints
                log.warning("background checkpoint failed", extra={"event": "wal_checkpoint_failed",
                                                                    "error_type": type(exc).__name__})

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


def _flush(path: str) -> None:
    """Write a file's dirty pages to disk (``fdatasync``), whoever wrote them; a file not there is skipped."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)

"""One writer per process: every write transaction runs on one thread, in the order it was asked for.

As in datasette, a write is a function of a session, handed to the writer through a queue::

    row = db.write(lambda s: records.create_patient(s, user_id, "Jane Doe"))   # from a worker thread
    row = await db.awrite(partial(records.create_patient, user_id=..., ...))   # from the event loop

The writer takes whatever is queued (up to :data:`MAX_BATCH` jobs) into one transaction and commits
once (group commit). The jobs of a batch first run one after another with no savepoint (SAVEPOINT and
RELEASE cost more CPU than the job's own inserts); only when one of them fails is that transaction
rolled back and the batch run again with a savepoint per job, so that the failed job is rolled back
alone and its caller gets its exception while the others commit. A failing job thus costs at most one
more run of its batch, and a batch without failures costs one BEGIN and one COMMIT. A job found alone
in the queue gets the transaction to itself. Nobody hears back before the commit, so an answered
write is a committed write (a process killed with -9 loses only writes whose callers were still
waiting). SQLite and PostgreSQL take this same path; on SQLite the writer's transactions begin
``IMMEDIATE``, so writers in other worker processes queue on SQLite's lock instead of failing when a
read transaction upgrades.

:meth:`Writer.close` (the web app's shutdown, :meth:`Database.dispose`) lets the writer finish
every queued job first; a write asked for afterwards starts the writer again.

:meth:`Writer.when_idle` runs maintenance on the writer thread once no write is queued, so that it never
overlaps a write of this process: the checkpointer completes SQLite's checkpoint there (checkpoint.py).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

__all__ = ["Writer", "MAX_BATCH"]

log = logging.getLogger("revspine.storage")
T = TypeVar("T")

#: The most jobs committed together (a few ms of work: a caller never waits behind a long batch).
MAX_BATCH = 32


class _Wake:
    """Put in the queue to wake an idle writer for :meth:`Writer.when_idle`."""


_WAKE = _Wake()


@dataclass
class _Job:
    fn: Callable[[Session], Any]
    future: Future[Any] = field(default_factory=Future)


def _close_at_exit(ref: weakref.ref[Writer]) -> None:
    writer = ref()
    if writer is not None:
        writer.close()


class Writer:
    """The write thread of one :class:`~revspine.storage.db.Database` (started on first use)."""

    def __init__(self, engine: Engine, wrap: Callable[[Callable[[], Any]], Any]) -> None:
        """``engine``: the write engine; ``wrap(call)`` runs ``call()`` translating driver errors."""
        self.engine = engine
        self._wrap = wrap
        self._queue: queue.SimpleQueue[_Job | _Wake | None] = queue.SimpleQueue()
        self._idle_fn: Callable[[], object] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self.batches = 0   # batches taken from the queue: jobs / batches is the group-commit factor
        self.jobs = 0
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- asking -----------------------------------------------------------------------------------
    def submit(self, fn: Callable[[Session], T]) -> Future[T]:
        """Queue ``fn(session)``; the future holds its result once committed (or its exception)."""
        job = _Job(fn)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="revspine-writer", daemon=True)
                self._thread.start()
            self._queue.put(job)
        return job.future

    def call(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` on the writer and wait for it (a job of the writer joins its transaction)."""
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:
            return fn(current)
        return self.submit(fn).result()

    def when_idle(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the writer thread as soon as no write is queued (after the batch it is committing, if
        any): maintenance that must not overlap a write of this process. At most one is pending (a later one
        replaces it); an exception is logged, never raised. With no writer thread running, ``fn`` runs now in
        the caller's thread: this process is not writing."""
        with self._lock:
            running = self._thread is not None
            if running:
                self._idle_fn = fn
                self._queue.put(_WAKE)
        if not running:
            self._maintain(fn)

    def close(self) -> None:
        """Finish every queued job, then stop the thread (the next :meth:`submit` starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
        if thread is not threading.current_thread():
            thread.join()

    # -- the thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Job] = [] if isinstance(first, _Wake) else [first]
            while batch and len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                if not isinstance(nxt, _Wake):  # a wake-up is served once the batch is committed
                    batch.append(nxt)
            self._work([job for job in batch if job.future.set_running_or_notify_cancel()])
            if self._idle_fn is not None and self._queue.empty():
                fn, self._idle_fn = self._idle_fn, None
                self._maintain(fn)

    @staticmethod
    def _maintain(fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - maintenance never stops the writer
            log.warning("writer maintenance failed", extra={"event": "writer_maintenance_failed",
                                                            "error_type": type(exc).__name__})

    def _work(self, batch: list[_Job]) -> None:
        if not batch:
            return
        self.batches += 1
        self.jobs += len(batch)
        if len(batch) == 1:  # alone in its transaction: no savepoint needed to keep others' writes
            self._alone(batch[0])
            return
        if self._together(batch):
            return
        outcomes: list[tuple[bool, Any]] = []  # a job failed: again, each job in a savepoint of its own
        try:
            def transaction() -> None:
                with self.engine.connect() as conn, conn.begin():
                    for job in batch:
                        outcomes.append(self._one(conn, job))
            self._wrap(transaction)
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of this batch was stored
            for job, (ok, value) in zip(batch, outcomes + [(True, None)] * (len(batch) - len(outcomes)),
                                        strict=True):
                job.future.set_exception(exc if ok else value)
            return
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    def _together(self, batch: list[_Job]) -> bool:
        """The batch in one transaction without savepoints; True when it committed and every caller has
        its result. False when a job raised (nothing of the batch is kept: the transaction is rolled
        back, and the caller runs the batch again with a savepoint per job). A failed BEGIN or COMMIT is
        every job's exception (True: done)."""
        results: list[Any] = []
        failed = False

        def transaction() -> None:
            nonlocal failed
            with self.engine.connect() as conn, conn.begin() as outer:
                for job in batch:
                    session = Session(bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False)
                    self._local.session = session
                    try:
                        with session.begin():
                            results.append(job.fn(session))
                    except Exception:  # noqa: BLE001 - the batch is run again, with savepoints
                        failed = True
                        if outer.is_active:
                            outer.rollback()
                        return
                    finally:
                        self._local.session = None
                        session.close()

        try:
            self._wrap(transaction)
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of this batch was stored
            for job in batch:
                job.future.set_exception(exc)
            return True
        if failed:
            return False
        for job, value in zip(batch, results, strict=True):
            job.future.set_result(value)
        return True

    def _alone(self, job: _Job) -> None:
        """A job with a transaction of its own (what a quiet server mostly sees): the same outcome as in a
        batch, without the savepoint's SAVEPOINT and RELEASE."""
        session = Session(bind=self.engine, expire_on_commit=False)
        self._local.session = session
        try:
            def run() -> Any:
                with session.begin():
                    return job.fn(session)
            result = self._wrap(run)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who asked for this write
            job.future.set_exception(exc)
            return
        finally:
            self._local.session = None
            session.close()
        job.future.set_result(result)

    def _one(self, conn: Any, job: _Job) -> tuple[bool, Any]:
        """One job in a savepoint of the batch's transaction: (True, result) or (False, its exception)."""
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        self._local.session = session
        try:
            def run() -> Any:
                with session.begin():
                    return job.fn(session)
            return True, self._wrap(run)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who asked for this write
            return False, exc
        finally:
            self._local.session = None
            session.close()

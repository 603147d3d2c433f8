"""A bounded pool of worker processes for CPU-heavy jobs, awaited from the event loop.

Python runs one thread of a process at a time, so CPU-heavy work (rendering a PDF, assessing a case)
done in the serving process, in any of its threads, holds up every other request of that process.
Here each job runs in one of ``workers`` separate processes that share one queue (first come, first
served: the next free process takes the oldest job); at most ``queue`` more jobs wait, and a job
beyond that raises the pool's ``busy`` error instead of piling up.

The hand-off costs the serving process as little as it can: each worker has one socket pair to the
serving process; a job goes out as one pickled message written by the event loop itself (without
blocking: what the socket does not take at once is written when it can), and its answer is read by
the event loop when the socket is readable (``loop.add_reader``), so no thread of the serving process
takes part (``concurrent.futures.ProcessPoolExecutor`` ran a management thread and a feeder thread,
with several thread wake-ups per job, which cost the serving process about 0.4 ms of CPU per case).

What keeps it working on a busy machine:

- The workers run at the serving process's own CPU priority (a niced worker on a shared machine got
  a tenth of the share of every other busy process: a 1 s PDF took 15 s).
- A worker imports only what its job needs (never the web application), and is started and warmed
  when the app starts (:meth:`ProcessPool.warm`).
- A worker that dies (killed, out of memory) is replaced by a new one, and the job it was running is
  run once more on another worker; a job whose second worker dies too raises :class:`WorkerDied`
  (its caller gets an error, never a hang).
- Workers are started with ``spawn`` (no lock or connection of the serving process is inherited), and
  each exits when the process that started it is gone (a serving process killed with -9 leaves no
  worker behind) or when its socket to it is closed (:meth:`ProcessPool.close`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from .errors import RevspineError

__all__ = ["ProcessPool", "WorkerDied"]

T = TypeVar("T")

_HEADER = struct.Struct("!i")  # multiprocessing.connection's message framing: a 4-byte big-endian length


class WorkerDied(RevspineError):
    """The worker process running a job died (killed, out of memory), twice."""

    def __init__(self) -> None:
        super().__init__("a worker process died while working on this request; try again", status=503,
                         title="Service unavailable")


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _worker_main(conn: Connection, parent: int, initializer: Callable[..., None] | None,
                 initargs: tuple[Any, ...], warm_job: tuple[Callable[..., Any], tuple[Any, ...]] | None) -> None:
    """A worker process: run the initializer and the warm-up job, then answer one job at a time, until
    the serving process closes the socket (or is gone)."""
    threading.Thread(target=_exit_with_parent, args=(parent,), name="revspine-orphan-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)
    if warm_job is not None:
        try:
            warm_job[0](*warm_job[1])
        except Exception:  # noqa: BLE001, S110 - warming is an optimisation; the first job will say what fails
            pass
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            fn, args = pickle.loads(message)
            outcome: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # noqa: BLE001 - the caller's to handle, as if it had run there
            outcome = (False, exc)
        try:
            answer = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a result or exception that does not pickle
            answer = pickle.dumps((False, RuntimeError(f"the worker's answer could not be pickled: {exc!r}")))
        try:
            conn.send_bytes(answer)
        except OSError:
            return


class _Died(Exception):
    """The worker running a job died (internal: the job is tried once more)."""


class _Job:
    __slots__ = ("message", "future", "loop")

    def __init__(self, message: bytes, future: asyncio.Future[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.message, self.future, self.loop = message, future, loop


class _Worker:
    """One worker process and the serving process's end of its socket (non-blocking, read and written
    by the event loop of the job it runs)."""

    def __init__(self, pool: ProcessPool) -> None:
        ctx = multiprocessing.get_context("spawn")
        mine, theirs = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, name="revspine-pool-worker", daemon=True,
                                   args=(theirs, os.getpid(), pool._initializer, pool._initargs, pool._warm_job))
        self.process.start()
        theirs.close()
        self.conn = mine
        self.fd = mine.fileno()
        os.set_blocking(self.fd, False)
        self.job: _Job | None = None
        self._out = memoryview(b"")
        self._in = bytearray()
        self._need = -1  # the length of the answer being read (-1: its header is not in yet)
        self.closed = False

    # -- on the job's event loop ------------------------------------------------------------------
    def start(self, pool: ProcessPool, job: _Job) -> None:
        """Send ``job`` (this worker is free); its answer comes back through :meth:`_readable`."""
        self.job = job
        self._in.clear()
        self._need = -1
        data = memoryview(_HEADER.pack(len(job.message)) + job.message)
        try:
            job.loop.add_reader(self.fd, self._readable, pool)
            sent = os.write(self.fd, data)
        except OSError:  # the worker is gone (or the socket was closed by close())
            self._lost(pool)
            return
        if sent < len(data):  # the socket's buffer is full: the rest when the worker has read some
            self._out = data[sent:]
            job.loop.add_writer(self.fd, self._writable, pool)

    def _writable(self, pool: ProcessPool) -> None:
        job = self.job
        try:
            sent = os.write(self.fd, self._out)
        except BlockingIOError:
            return
        except OSError:
            self._lost(pool)
            return
        self._out = self._out[sent:]
        if not self._out and job is not None:
            job.loop.remove_writer(self.fd)

    def _readable(self, pool: ProcessPool) -> None:
        try:
            chunk = os.read(self.fd, 1 << 18)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # end of file: the worker died
            self._lost(pool)
            return
        self._in += chunk
        if self._need < 0 and len(self._in) >= _HEADER.size:
            self._need = _HEADER.unpack_from(self._in)[0] + _HEADER.size
        if self._need < 0 or len(self._in) < self._need:
            return
        job, self.job = self.job, None
        assert job is not None
        job.loop.remove_reader(self.fd)
        answer = bytes(memoryview(self._in)[_HEADER.size:self._need])
        self._in.clear()
        self._need = -1
        pool._finished(self)
        if job.future.done():  # the caller went away
            return
        try:
            ok, value = pickle.loads(answer)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception class that cannot be rebuilt here
            ok, value = False, exc
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)

    def _lost(self, pool: ProcessPool) -> None:
        job, self.job = self.job, None
        self.detach(job.loop if job is not None else None)
        try:
            pool._died(self)
        finally:  # whatever happens to its replacement, the job's caller hears of it
            if job is not None and not job.future.done():
                job.future.set_exception(_Died())

    def detach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Stop watching the socket and close it (the worker then exits)."""
        if self.closed:
            return
        self.closed = True
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.fd)
            loop.remove_writer(self.fd)
        self.conn.close()


class ProcessPool:
    """``await pool.run(fn, *args)``: ``fn(*args)`` in a worker process (``fn`` and its arguments and result
    must pickle). ``busy`` makes the error raised when every worker and queue slot is taken;
    ``initializer(*initargs)`` runs once in each new worker, then ``warm_job``."""

    def __init__(self, workers: int, queue: int, busy: Callable[[], RevspineError], *,
                 initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                 warm_job: tuple[Callable[..., Any], tuple[Any, ...]] | None = None) -> None:
        self.workers, self.queue = max(1, workers), max(0, queue)
        self._busy = busy
        self._warm_job = warm_job
        self._initializer, self._initargs = initializer, initargs
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._free: list[_Worker] = []
        self._waiting: deque[_Job] = deque()
        self._jobs = 0  # jobs running or waiting

    def _start_workers(self) -> None:
        """Under the lock: start workers up to ``workers``."""
        while len(self._all) < self.workers:
            worker = _Worker(self)
            self._all.append(worker)
            self._free.append(worker)

    def pids(self) -> list[int]:
        """The worker processes' ids (started if need be)."""
        with self._lock:
            self._start_workers()
            return [w.process.pid for w in self._all if w.process.pid is not None]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; its result, or its exception."""
        message = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._jobs >= self.workers + self.queue:
                raise self._busy()
            self._jobs += 1
        try:
            for attempt in (1, 2):
                try:
                    result: T = await self._submit(message)
                    return result
                except _Died:
                    if attempt == 2:
                        raise WorkerDied() from None
            raise AssertionError("unreachable")
        finally:
            with self._lock:
                self._jobs -= 1

    def _submit(self, message: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        job = _Job(message, loop.create_future(), loop)
        with self._lock:
            self._drop_stranded()
            self._start_workers()
            worker = self._free.pop() if self._free else None
            if worker is None:
                self._waiting.append(job)
        if worker is not None:
            worker.start(self, job)
        return job.future

    def _drop_stranded(self) -> None:
        """Under the lock: a worker whose job's event loop was closed (a test app's, with a job still
        running) would never be read again; it is stopped (its socket closed) and replaced."""
        for worker in [w for w in self._all if w.job is not None and w.job.loop.is_closed()]:
            self._all.remove(worker)
            worker.job = None
            worker.detach(None)

    def _finished(self, worker: _Worker) -> None:
        """``worker`` answered: it takes the oldest waiting job, or becomes free."""
        with self._lock:
            job = self._next_job()
            if job is None:
                if worker in self._all:
                    self._free.append(worker)
                return
        self._hand(worker, job)

    def _died(self, worker: _Worker) -> None:
        """``worker`` died: a new one replaces it (and takes the oldest waiting job, if any)."""
        with self._lock:
            if worker not in self._all:
                return
            self._all.remove(worker)
            if worker in self._free:
                self._free.remove(worker)
            self._start_workers()
            new = self._all[-1]
            self._free.remove(new)
            job = self._next_job()
            if job is None:
                self._free.append(new)
                return
        self._hand(new, job)

    def _next_job(self) -> _Job | None:
        while self._waiting:
            job = self._waiting.popleft()
            if not job.future.done() and not job.loop.is_closed():  # its caller may have gone away
                return job
        return None

    def _hand(self, worker: _Worker, job: _Job) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is job.loop:
            worker.start(self, job)
            return
        try:  # a job awaited on another event loop (tests run several apps, each on its own loop)
            job.loop.call_soon_threadsafe(worker.start, self, job)
        except RuntimeError:  # that loop has just closed: the next job, or free
            self._finished(worker)

    def warm(self) -> None:
        """Start the workers now (each runs the initializer and ``warm_job`` once: imports, caches), not on
        first use."""
        with self._lock:
            self._start_workers()

    def close(self, *, wait: bool = False) -> None:
        """Stop the workers (jobs still waiting or running are cancelled; the next job starts new workers).
        ``wait``: until they have exited (a server's shutdown: a process that ends by a signal runs no
        exit handlers)."""
        with self._lock:
            workers, self._all, self._free = self._all, [], []
            waiting, self._waiting = list(self._waiting), deque()
        for worker in workers:
            job, worker.job = worker.job, None
            loop = job.loop if job is not None else None
            if loop is not None and loop is not _running_loop():
                # the socket is watched by another thread's loop: close it there
                try:
                    loop.call_soon_threadsafe(worker.detach, loop)
                except RuntimeError:  # that loop is closed
                    worker.conn.close()
            else:
                worker.detach(loop)
            if job is not None:
                waiting.append(job)
        for job in waiting:
            if not job.future.done() and not job.loop.is_closed():
                try:
                    job.loop.call_soon_threadsafe(_cancel, job.future)
                except RuntimeError:
                    pass
        if wait:
            for worker in workers:
                worker.process.join(30)
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join(5)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _cancel(future: asyncio.Future[Any]) -> None:
    future.cancel()  # as ProcessPoolExecutor.shutdown(cancel_futures=True) did: not tried again

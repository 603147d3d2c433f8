"""The database connection: engine set-up per dialect, transactions, and driver-error wrapping.

Every write goes through the process's one writer thread (writer.py), on SQLite and PostgreSQL
alike; reads run in the calling thread, never on the event loop (:meth:`Database.aread` hands them to
the thread pool).

SQLite: WAL journal, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for the writer's
transactions so writers of other worker processes queue on the lock instead of failing on upgrade;
checkpoints run in a background thread (checkpoint.py).
PostgreSQL: a pooled psycopg engine with ``pool_pre_ping``.

Every driver exception leaves this package as :class:`~revspine.errors.StorageError`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import RevspineError, StorageError
from .checkpoint import SAFETY_NET_PAGES, WalCheckpointer
from .writer import Writer

__all__ = ["Database", "storage_errors", "private_dir"]

log = logging.getLogger("revspine.storage")
T = TypeVar("T")


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Translate any driver / SQLAlchemy error into StorageError (no driver text leaks out)."""
    try:
        yield
    except RevspineError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        log.error("storage failure", extra={"event": "storage_error", "action": action,
                                              "error_type": type(exc).__name__})
        raise StorageError(f"the database could not {action}; try again or ask your administrator") from None


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


def private_dir(path: Path) -> None:
    """Make ``path`` (and missing parents) readable by this user only (0700) when this call creates it."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask


def _private_sqlite_files(database: str) -> None:
    """The database file and its -wal/-shm are patient data: 0600, whatever the umask (SQLite gives the
    -wal and -shm it creates the main file's mode)."""
    path = Path(database)
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for f in (path, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if f.exists() and f.stat().st_mode & 0o077:
            os.chmod(f, 0o600)


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        _private_sqlite_files(parsed.database)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
                           pool_size=10, max_overflow=20, **_JSON)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")  # checkpoints run in the background
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("revspine_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _off_the_loop(what: str) -> None:
    if _on_event_loop():
        raise RuntimeError(f"blocking database {what} on the event loop: use `await db.a{what}(...)`")


class Database:
    """An engine, read transactions, and the process's one writer (writer.py)."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 30000):
        self.url = url
        with storage_errors("open the database"):
            parsed = make_url(url)
            self.dialect = parsed.get_backend_name()
            if self.dialect == "sqlite":
                self.engine = _sqlite_engine(url, sqlite_busy_timeout_ms)
            else:
                try:
                    self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **_JSON)
                except ImportError:
                    raise StorageError(f"the {self.dialect} driver is not installed: pip install 'revspine[postgres]'"
                                       ) from None
        database = parsed.database if self.dialect == "sqlite" else None
        on_disk = bool(database) and database != ":memory:"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self.writer = Writer(self.engine.execution_options(revspine_write=True), _saving)
        self.checkpointer = (WalCheckpointer(self.engine, database=database, writer=self.writer)
                             if on_disk and database else None)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction, in the calling thread (not the event loop's: see :meth:`aread`)."""
        _off_the_loop("read")
        with storage_errors("read"), self._read() as session, session.begin():
            yield session

    async def aread(self, fn: Callable[[Session], T]) -> T:
        """``fn(session)`` in a read transaction, in the thread pool (for async handlers)."""
        def run() -> T:
            with self.read() as s:
                return fn(s)
        return await anyio.to_thread.run_sync(run)

    def write(self, fn: Callable[[Session], T]) -> T:
        """``fn(session)`` in a write transaction on the writer thread; its result once committed. All
        of ``fn`` commits or none of it; its exceptions reach the caller (driver errors as StorageError)."""
        _off_the_loop("write")
        if self.checkpointer is not None:
            self.checkpointer.start()
        return self.writer.call(fn)

    async def awrite(self, fn: Callable[[Session], T]) -> T:
        """:meth:`write` for async handlers: the event loop waits for the writer without blocking."""
        if self.checkpointer is not None:
            self.checkpointer.start()
        return await asyncio.wrap_future(self.writer.submit(fn))

    def dispose(self) -> None:
        """Finish the queued writes, stop the background threads, close the connections."""
        self.writer.close()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def _saving(call: Callable[[], T]) -> T:
    with storage_errors("save"):
        return call()

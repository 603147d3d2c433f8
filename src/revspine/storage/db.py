"""The database connection: engine set-up per dialect, transactions, and driver-error wrapping.

SQLite: WAL journal, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for write
transactions so concurrent writers queue on the lock instead of failing on upgrade; checkpoints
run in a background thread (checkpoint.py).
PostgreSQL: a pooled psycopg engine with ``pool_pre_ping``.

Every driver exception leaves this package as :class:`~revspine.errors.StorageError`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import RevspineError, StorageError
from .checkpoint import SAFETY_NET_PAGES, WalCheckpointer

__all__ = ["Database", "storage_errors", "private_dir"]

log = logging.getLogger("revspine.storage")


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


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    """An exclusive lock on ``path`` shared by every process on this machine (POSIX flock)."""
    import fcntl

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    for f in (path, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}.writelock")):
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


class Database:
    """An engine plus read and write transaction scopes."""

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
        # SQLite has one writer at a time: queue writers (threads of this process, and other worker
        # processes through an flock on a file beside the database) rather than in SQLite's busy
        # handler, which sleeps in growing steps (long tails under load).
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        database = make_url(url).database if self.dialect == "sqlite" else None
        self._lock_path = f"{database}.writelock" if database and database != ":memory:" else None
        self.checkpointer = WalCheckpointer(self.engine) if self._lock_path is not None else None
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(revspine_write=True), expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction."""
        with storage_errors("read"), self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: everything inside commits together or not at all."""
        if self.checkpointer is not None:
            self.checkpointer.start()
        with ExitStack() as stack:
            if self._write_lock is not None:
                stack.enter_context(self._write_lock)
            if self._lock_path is not None:
                stack.enter_context(_file_lock(self._lock_path))
            with storage_errors("save"), self._write() as session, session.begin():
                yield session

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()

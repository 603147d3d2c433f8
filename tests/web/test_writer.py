"""One writer per process (storage/writer.py): every write runs on it, jobs commit together in order,
each caller hears its own outcome, shutdown drains the queue, and an answered write survives kill -9.
SQLite and PostgreSQL take the same path (each test runs on both where a server is available)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

from revspine.errors import InputError, StorageError
from revspine.storage import Database, accounts, audit, migrate, records
from revspine.storage.tables import AssessmentRow, AuditRow, PatientRow

from .conftest import PASSWORD, login, make_env
from .live import serve_process

_BOTH = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_BOTH)
def db(request, tmp_path):
    url = (request.getfixturevalue("postgres_db_url") if request.param == "postgres"
           else f"sqlite:///{tmp_path}/w.sqlite3")
    database = Database(url)
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture(params=_BOTH)
def env_any(request, tmp_path, pack):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else None
    e = make_env(tmp_path, pack, url)
    yield e
    e.db.dispose()


def _user(db: Database) -> int:
    return db.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician").id)


class _Blocked:
    """A job that holds the writer until released, so that the next jobs queue up behind it."""

    def __init__(self, db: Database) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.future = db.writer.submit(self._job)
        assert self.started.wait(30)

    def _job(self, s) -> None:
        self.started.set()
        assert self.release.wait(60)


def _writes_by_thread(db: Database) -> list[tuple[str, str]]:
    """Every INSERT/UPDATE/DELETE the engine sends, with the thread that sent it."""
    seen: list[tuple[str, str]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            seen.append((threading.current_thread().name, statement.split("(")[0][:60]))

    return seen


def test_every_write_of_the_app_runs_on_the_writer_thread(env_any, examples):
    env = env_any
    seen = _writes_by_thread(env.db)
    case = json.loads(examples[0].read_text())
    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as api, TestClient(env.app) as web:
        pid = api.post("/api/patients", json={"display_name": "Writer Test", "mrn": "W-1"}).json()["id"]
        r = api.post(f"/api/patients/{pid}/assess", json=case)
        assert r.status_code == 200
        aid = r.headers["X-Revspine-Assessment-Id"]
        assert api.patch(f"/api/patients/{pid}", json={"display_name": "Writer Test Two"}).status_code == 200
        for path in (f"/api/patients/{pid}", f"/api/patients/{pid}/assessments", f"/api/assessments/{aid}",
                     f"/api/patients/{pid}/cases", "/api/patients"):
            assert api.get(path).status_code == 200
        login(web, "alice", PASSWORD)
        for path in ("/patients", f"/patients/{pid}", f"/assessments/{aid}"):
            assert web.get(path).status_code == 200
        assert api.post(f"/api/patients/{pid}/assess", json={"patient": "nope"}).status_code == 422
    assert seen, "no write was seen"
    assert {name for name, _ in seen} == {"revspine-writer"}, [w for w in seen if w[0] != "revspine-writer"]
    with env.db.read() as s:  # the reads were audited (through the writer, before their answers went out)
        views = s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "view"))
    assert views >= 8


def test_queued_jobs_commit_together_and_each_caller_hears_its_own_outcome(db):
    uid = _user(db)
    blocked = _Blocked(db)
    ok = [db.writer.submit(lambda s, i=i: records.create_patient(s, uid, f"Batch {i}", mrn=f"B-{i}").id)
          for i in range(6)]
    bad_input = db.writer.submit(lambda s: records.create_patient(s, uid, "Same MRN", mrn="B-0"))
    bad_sql = db.writer.submit(lambda s: s.execute(text("INSERT INTO no_such_table VALUES (1)")))
    half_done = db.writer.submit(lambda s: (records.create_patient(s, uid, "Rolled back", mrn="R-1"),
                                            s.execute(text("INSERT INTO no_such_table VALUES (1)"))))
    after = [db.writer.submit(lambda s, i=i: records.create_patient(s, uid, f"After {i}").id) for i in range(3)]
    batches = db.writer.batches
    blocked.release.set()
    blocked.future.result(30)
    ids = [f.result(30) for f in ok + after]
    assert len(set(ids)) == 9
    with pytest.raises(InputError) as info:
        bad_input.result(30)
    assert info.value.problems[0].path == "mrn"  # the caller learns which field
    for failed in (bad_sql, half_done):
        with pytest.raises(StorageError, match="could not save"):
            failed.result(30)
    assert db.writer.batches == batches + 1  # the 12 queued jobs went in one transaction
    with db.read() as s:
        names = set(s.scalars(select(PatientRow.display_name)))
    assert {f"Batch {i}" for i in range(6)} | {f"After {i}" for i in range(3)} <= names
    assert "Rolled back" not in names and "Same MRN" not in names  # a failed job leaves nothing behind


def _savepoints(db: Database) -> list[str]:
    """Every SAVEPOINT the engine sends."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            seen.append(statement)

    return seen


def test_a_batch_without_failures_takes_no_savepoint_and_one_failure_costs_one_more_run(db):
    uid = _user(db)
    savepoints = _savepoints(db)
    blocked = _Blocked(db)
    ok = [db.writer.submit(lambda s, i=i: records.create_patient(s, uid, f"Clean {i}").id) for i in range(5)]
    blocked.release.set()
    assert len({f.result(30) for f in ok}) == 5
    assert savepoints == []  # one BEGIN, five jobs, one COMMIT

    runs: list[int] = []  # each job counts its runs: a failure runs its batch once more, with savepoints
    blocked = _Blocked(db)
    good = [db.writer.submit(lambda s, i=i: (runs.append(i), records.create_patient(s, uid, f"Kept {i}").id)[1])
            for i in range(4)]
    bad = db.writer.submit(lambda s: (runs.append(9), records.create_patient(s, uid, "x", mrn="M-1"),
                                      records.create_patient(s, uid, "y", mrn="M-1")))  # the MRN is taken
    blocked.release.set()
    ids = [f.result(30) for f in good]
    with pytest.raises(InputError):
        bad.result(30)
    assert sorted(runs) == [0, 0, 1, 1, 2, 2, 3, 3, 9, 9]
    assert len(savepoints) == 5  # the second run: one savepoint per job
    with db.read() as s:
        names = set(s.scalars(select(PatientRow.display_name)))
        assert s.scalar(select(func.count()).select_from(PatientRow).where(PatientRow.id.in_(ids))) == 4
    assert {f"Kept {i}" for i in range(4)} <= names and "x" not in names and "y" not in names


def test_concurrent_writers_keep_their_order_and_lose_nothing(db):
    uid = _user(db)
    per_thread, threads = 40, 8

    def writer(t: int) -> list[int]:
        return [db.write(lambda s, i=i: records.create_patient(s, uid, f"T{t} #{i}").id) for i in range(per_thread)]

    with ThreadPoolExecutor(threads) as pool:
        made = list(pool.map(writer, range(threads)))
    for ids in made:
        assert ids == sorted(ids)  # one thread's writes commit in the order it asked for them
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PatientRow)) == per_thread * threads
    assert db.writer.jobs >= per_thread * threads


def test_a_job_that_writes_again_joins_its_transaction(db):
    uid = _user(db)

    def outer(s):
        first = records.create_patient(s, uid, "Outer")
        inner = db.write(lambda s2: records.create_patient(s2, uid, "Inner"))  # on the writer: no deadlock
        raise InputError("changed my mind", [])
        return first, inner  # pragma: no cover

    with pytest.raises(InputError):
        db.write(outer)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PatientRow)) == 0  # both rolled back together


def test_no_blocking_database_call_on_the_event_loop(db):
    async def on_the_loop() -> None:
        with pytest.raises(RuntimeError, match="event loop"):
            db.write(lambda s: None)
        with pytest.raises(RuntimeError, match="event loop"), db.read():
            pass
        uid = await db.awrite(lambda s: accounts.create_user(s, "loop", "long enough password").id)
        assert await db.aread(lambda s: accounts.get_user_by_name(s, "loop").id) == uid
        await audit.awrite(db, uid, "view", "patient_list", None, {"results": 0})

    asyncio.run(on_the_loop())
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "view")) == 1


def test_close_finishes_every_queued_write_then_a_new_write_starts_the_writer_again(db):
    uid = _user(db)
    blocked = _Blocked(db)
    queued = [db.writer.submit(lambda s, i=i: audit.record(s, uid, "view", "patient", i)) for i in range(25)]
    closing = threading.Thread(target=db.writer.close)
    closing.start()
    time.sleep(0.05)
    blocked.release.set()
    closing.join(60)
    assert not closing.is_alive()
    assert all(f.done() and f.exception() is None for f in queued)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "view")) == 25
    db.write(lambda s: audit.record(s, uid, "view", "patient", 99))  # a write after close: a new writer
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "view")) == 26


def test_a_storage_failure_reaches_the_request_as_a_503_naming_the_action(env_any):
    env = env_any

    def broken(s) -> None:
        raise StorageError("the database could not save; try again or ask your administrator")

    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as api:
        original = env.db.writer.submit
        env.db.writer.submit = lambda fn: original(broken)  # type: ignore[method-assign]
        try:
            r = api.post("/api/patients", json={"display_name": "Never Stored"})
        finally:
            env.db.writer.submit = original  # type: ignore[method-assign]
        assert r.status_code == 503
        assert "could not save" in r.json()["message"]
        assert api.get("/api/patients", params={"q": "Never"}).json()["total"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", _BOTH)
def test_kill_9_loses_no_answered_assessment_and_no_answered_view(backend, tmp_path, examples, request):
    url = request.getfixturevalue("postgres_db_url") if backend == "postgres" else None
    if url:
        migrate_db = Database(url)
        migrate(migrate_db)
        migrate_db.dispose()
    server, base, token = serve_process(tmp_path, url)
    case = json.loads(examples[0].read_text())
    answered: list[int] = []
    viewed: list[int] = []
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
            pid = c.post("/api/patients", json={"display_name": f"Kill {n}"}).json()["id"]
            while not stop.is_set():
                try:
                    r = c.post(f"/api/patients/{pid}/assess", json=case)
                    if r.status_code == 200:
                        aid = int(r.headers["X-Revspine-Assessment-Id"])
                        answered.append(aid)
                        if c.get(f"/api/assessments/{aid}").status_code == 200:
                            viewed.append(aid)
                except httpx.TransportError:
                    return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while len(answered) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(30)
    stop.set()
    for t in threads:
        t.join(60)
    assert len(answered) >= 20
    db = Database(url or f"sqlite:///{tmp_path}/revspine.sqlite3")
    try:
        with db.read() as s:
            stored = list(s.scalars(select(AssessmentRow.id)))
            audited = set(s.scalars(select(AuditRow.object_id).where(AuditRow.action == "view",
                                                                      AuditRow.object_type == "assessment")))
    finally:
        db.dispose()
    assert len(stored) == len(set(stored))
    assert set(answered) <= set(stored)  # every answered assessment is stored, once
    assert set(viewed) <= audited  # every answered read of an assessment was audited


def test_the_app_stops_its_writer_at_shutdown_after_the_queued_writes(tmp_path, pack):
    env = make_env(tmp_path, pack)
    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as api:
        assert api.post("/api/patients", json={"display_name": "Before Shutdown"}).status_code == 201
        assert env.db.writer._thread is not None
    assert env.db.writer._thread is None  # the lifespan's shutdown closed it (storage/writer.py drains first)
    with env.db.read() as s:
        assert s.scalar(select(func.count()).select_from(PatientRow)) == 1
    env.db.dispose()


@pytest.mark.slow
def test_serve_with_two_workers_starts_and_each_worker_caps_the_head(tmp_path, examples):
    """`revspine serve --workers 2` hands its app factory and its head-capping protocol to two worker
    processes (the protocol class used to be made inside a function, which cannot be pickled, so the
    server died at start). Requests spread over both workers are answered and stored once each; a head
    over the cap is refused by whichever worker takes it."""
    server, base, token = serve_process(tmp_path, None, "--workers", "2")
    try:
        case = json.loads(examples[0].read_text())
        with ThreadPoolExecutor(4) as pool, httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
            pid = c.post("/api/patients", json={"display_name": "Two Workers"}).json()["id"]

            def assess(_: int) -> int:
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as own:
                    return own.post(f"/api/patients/{pid}/assess", json=case).status_code

            assert list(pool.map(assess, range(8))) == [200] * 8
            assert len(c.get(f"/api/patients/{pid}/assessments").json()) == 8
            r = httpx.get(base + "/api/patients", headers={"X-Padding": "A" * (70 * 1024)}, timeout=60)
            assert r.status_code == 431
    finally:
        server.terminate()
        server.wait(60)

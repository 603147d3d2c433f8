"""Storage on SQLite and PostgreSQL: migrations, versions, append-only tables, error wrapping."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import inspect, text

from revspine.errors import InputError, StorageError
from revspine.storage import Database, accounts, current_revision, head_revision, migrate, records

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/s.sqlite3")
    else:
        database = Database(request.getfixturevalue("postgres_db_url"))
    migrate(database)
    yield database
    database.dispose()


@pytest.fixture
def user_id(db) -> int:
    return db.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician").id)


def test_migrations_create_every_table_and_are_idempotent(db):
    names = set(inspect(db.engine).get_table_names())
    assert {"users", "api_tokens", "patients", "cases", "case_versions", "assessments", "audit_log",
            "patient_links", "alembic_version"} <= names
    assert current_revision(db) == head_revision()
    assert migrate(db) == head_revision()


def test_migrations_have_a_single_head():
    from alembic.script import ScriptDirectory

    from revspine.storage.migrate import _config

    assert len(ScriptDirectory.from_config(_config()).get_heads()) == 1


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/w.sqlite3", sqlite_busy_timeout_ms=1234)
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 1234


def test_sqlite_checkpoints_in_the_background_not_in_the_committing_request(tmp_path):
    from revspine.storage import audit
    from revspine.storage.checkpoint import SAFETY_NET_PAGES

    db = Database(f"sqlite:///{tmp_path}/c.sqlite3")
    migrate(db)
    with db.read() as s:
        assert s.execute(text("PRAGMA wal_autocheckpoint")).scalar() == SAFETY_NET_PAGES
    db.checkpointer.interval = 0.05
    for i in range(200):
        db.write(lambda s, i=i: audit.record(s, None, "view", "case", i, {"padding": "x" * 40}))
    thread = db.checkpointer._thread
    assert thread is not None and thread.is_alive()
    deadline = time.monotonic() + 10
    while db.checkpointer.copied == 0:  # the thread copies the log back; no writer did
        assert time.monotonic() < deadline, "no background checkpoint within 10 s"
        time.sleep(0.05)
    db.dispose()
    assert not thread.is_alive()


def _log_restarts(path) -> int:
    """The WAL header's checkpoint sequence number: SQLite adds one each time the log restarts."""
    with open(f"{path}-wal", "rb") as f:
        return int.from_bytes(f.read(16)[12:16], "big")


def test_the_writer_completes_the_checkpoint_so_the_log_restarts_before_the_safety_net(tmp_path):
    """Under continuous writes a checkpoint beside the writer never copies the whole log, so before this the log
    restarted only when it reached the automatic checkpoint's size, inside a request's commit. Now the writer
    completes the checkpoint between writes once the log holds ``restart_pages``: the log restarts long before."""
    path = tmp_path / "r.sqlite3"
    db = Database(f"sqlite:///{path}")
    migrate(db)
    db.checkpointer.interval, db.checkpointer.restart_pages = 0.02, 100
    db.write(lambda s: s.execute(text("CREATE TABLE scratch (x TEXT)")))
    first = _log_restarts(path)
    deadline = time.monotonic() + 20
    i = 0
    while db.checkpointer.completed < 2 or _log_restarts(path) == first:
        assert time.monotonic() < deadline, "the writer completed no checkpoint within 20 s"
        db.write(lambda s, i=i: s.execute(text("INSERT INTO scratch VALUES (:x)"), {"x": str(i) * 3000}))
        i += 1
    with db.read() as s:  # every row is still there, in the database file or the log
        assert s.execute(text("SELECT count(*) FROM scratch")).scalar() == i
    db.dispose()


def test_writer_maintenance_runs_on_the_writer_thread_after_the_queued_writes(db, user_id):
    import threading

    seen: list[tuple[str, int]] = []
    done = []

    def slow(s, n):
        time.sleep(0.01)
        done.append(n)
    futures = [db.writer.submit(lambda s, n=n: slow(s, n)) for n in range(5)]
    db.writer.when_idle(lambda: seen.append((threading.current_thread().name, len(done))))
    for f in futures:
        f.result()
    deadline = time.monotonic() + 10
    while not seen:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert seen == [("revspine-writer", 5)]
    db.writer.when_idle(lambda: 1 / 0)  # logged, and the writer goes on
    assert db.write(lambda s: records.create_patient(s, user_id, "After").display_name) == "After"


def test_every_edit_is_a_new_version(db, user_id):
    def first(s):
        patient = records.create_patient(s, user_id, "Versioned")
        return records.create_case(s, patient.id, user_id, "", {"n": 1}, "api")
    case, v1 = db.write(first)
    v2 = db.write(lambda s: records.add_case_version(s, case.id, user_id, {"n": 2}, "form"))
    with db.read() as s:
        versions = records.list_versions(s, case.id)
    assert [(v.version, v.data) for v in versions] == [(1, {"n": 1}), (2, {"n": 2})]
    assert v1.id != v2.id


@pytest.mark.parametrize("table", ["case_versions", "assessments", "audit_log"])
def test_append_only_tables_refuse_update_and_delete(db, user_id, table):
    from revspine.storage import audit

    def rows(s):
        patient = records.create_patient(s, user_id, "Append Only")
        case, version = records.create_case(s, patient.id, user_id, "", {"n": 1}, "api")
        records.add_assessment(s, patient.id, version, user_id, {}, {
            "versions": {"engine": "e", "knowledge": "k", "knowledge_id": "id"}, "decision": {"category": "revision"}})
        audit.record(s, user_id, "create", "patient", patient.id)
    db.write(rows)
    for statement in (f"UPDATE {table} SET created_by = created_by" if table != "audit_log"
                      else "UPDATE audit_log SET action = 'view'", f"DELETE FROM {table}"):
        with pytest.raises(StorageError):
            db.write(lambda s, sql=statement: s.execute(text(sql)))


def test_patient_identifiers_validated_and_mrn_unique(db, user_id):
    db.write(lambda s: records.create_patient(s, user_id, "One", "M1"))
    with pytest.raises(InputError) as info:
        db.write(lambda s: records.create_patient(s, user_id, "Two", "M1"))
    assert info.value.problems[0].path == "mrn"
    with db.read() as s:
        rows, total = records.search_patients(s, "one")
    assert total == 1 and rows[0].display_name == "One"


def test_unreachable_database_is_a_storage_error_without_driver_text():
    db = Database("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError) as info, db.read() as s:
        s.execute(text("SELECT 1"))
    assert "secret" not in str(info.value) and "psycopg" not in str(info.value)
    assert info.value.status == 503


def test_tokens_are_stored_hashed(db, user_id):
    _, plain = db.write(lambda s: accounts.create_token(s, user_id, "integration"))
    with db.read() as s:
        stored = s.execute(text("SELECT token_hash, prefix FROM api_tokens")).one()
        assert plain not in stored[0] and len(stored[0]) == 64
        assert accounts.user_for_token(s, plain).id == user_id
        assert accounts.user_for_token(s, plain + "x") is None


def _stored_rows(db, user_id):
    from revspine.storage import audit

    def rows(s):
        patient = records.create_patient(s, user_id, "Append Only")
        case, version = records.create_case(s, patient.id, user_id, "", {"n": 1}, "api")
        row = records.add_assessment(s, patient.id, version, user_id, {}, {
            "versions": {"engine": "e", "knowledge": "k", "knowledge_id": "id"}, "decision": {"category": "revision"}})
        audit.record(s, user_id, "create", "patient", patient.id)
        return patient, version, row
    return db.write(rows)


_OVERWRITES = {
    "audit_log": "{verb} INTO audit_log (id, at, user_id, action, object_type, object_id, detail) "
                 "SELECT id, at, user_id, 'view', object_type, object_id, '{{}}' FROM audit_log",
    "assessments": "{verb} INTO assessments SELECT id, patient_id, case_version_id, input_case, '{{}}', 'none', "
                   "engine_version, knowledge_id, knowledge_version, created_at, created_by FROM assessments",
    "case_versions": "{verb} INTO case_versions (id, case_id, version, data, source, created_at, created_by) "
                     "SELECT id + 100, case_id, version, '{{}}', source, created_at, created_by FROM case_versions",
}


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
@pytest.mark.parametrize("table", sorted(_OVERWRITES))
def test_sqlite_refuses_an_insert_over_a_stored_row(tmp_path, table, verb):
    """REPLACE deletes the old row without firing DELETE triggers: a trigger on INSERT refuses it
    (for case_versions also over its other unique key, (case_id, version))."""
    db = Database(f"sqlite:///{tmp_path}/r.sqlite3")
    migrate(db)
    user_id = db.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician").id)
    _stored_rows(db, user_id)
    with pytest.raises(StorageError):
        db.write(lambda s: s.execute(text(_OVERWRITES[table].format(verb=verb))))
    with pytest.raises(StorageError):
        db.write(lambda s: s.execute(text(f"INSERT INTO {table} SELECT * FROM {table} WHERE true "
                                          "ON CONFLICT DO NOTHING")))
    with db.read() as s:
        assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
        if table == "assessments":
            assert s.execute(text("SELECT decision FROM assessments")).scalar() == "revision"
    db.dispose()


@pytest.mark.postgres
def test_postgres_refuses_truncate_even_to_the_owner(postgres_db_url):
    db = Database(postgres_db_url)
    migrate(db)
    user_id = db.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician").id)
    _stored_rows(db, user_id)
    with pytest.raises(StorageError):
        db.write(lambda s: s.execute(text("TRUNCATE audit_log, assessments, case_versions CASCADE")))
    for table in ("audit_log", "assessments", "case_versions"):
        with pytest.raises(StorageError):
            db.write(lambda s, t=table: s.execute(text(f"TRUNCATE {t} CASCADE")))
        with db.read() as s:
            assert s.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
    db.dispose()


@pytest.mark.postgres
def test_postgres_app_role_owns_nothing_and_cannot_truncate_or_alter(postgres_db_url):
    from .conftest import APP_ROLE, app_role_url

    app = Database(app_role_url(postgres_db_url))
    with app.read() as s:
        owned = s.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
                          {"r": APP_ROLE}).scalar()
        assert owned == 0
    user_id = app.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician").id)
    _stored_rows(app, user_id)
    for statement in ("TRUNCATE audit_log", "TRUNCATE users CASCADE", "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                      "DROP TABLE assessments CASCADE", "UPDATE audit_log SET action = 'view'"):
        with pytest.raises(StorageError):
            app.write(lambda s, sql=statement: s.execute(text(sql)))
    app.dispose()


def test_sqlite_files_are_private(tmp_path, monkeypatch):
    """Data directory 0700; database, -wal and -shm 0600, even under a permissive umask."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        db = Database(f"sqlite:///{folder}/revspine.sqlite3")
        migrate(db)
        db.write(lambda s: accounts.create_user(s, "doc", "long enough password", "clinician"))
        with db.read() as s:  # keeps the -wal and -shm open
            s.execute(text("SELECT 1"))
            files = [folder / "revspine.sqlite3", folder / "revspine.sqlite3-wal", folder / "revspine.sqlite3-shm"]
            assert all(f.exists() for f in files)
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert modes == {f.name: 0o600 for f in files}
        db.dispose()
    finally:
        os.umask(old)

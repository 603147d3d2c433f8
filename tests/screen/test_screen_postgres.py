"""The screen reading a real OMOP database on PostgreSQL (typed CDM tables in their own schema): the same worklist
and attrition as the same tables read from files, and no password in the manifest."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from revspine.screen.cdm import TABLES
from revspine.screen.run import ScreenConfig, run_screen
from revspine.screen.source import find_tables

from .checks import expect_input_error, same_result
from .conftest import Dataset

pytestmark = pytest.mark.postgres
POSTGRES_ENV = "REVSPINE_TEST_POSTGRES_URL"
_PG_TYPE = {"BIGINT": "bigint", "INTEGER": "integer", "DATE": "date", "DOUBLE": "double precision",
            "VARCHAR": "text"}


def _plain_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cdm_database(omop: Dataset) -> Iterator[str]:
    """A fresh PostgreSQL database with the OMOP tables in schema cdm54, typed as the CDM DDL types them."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against (.ci/run starts one)")
    import psycopg
    from sqlalchemy.engine import make_url

    name = "revspine_cdm_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_plain_url(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        with psycopg.connect(_plain_url(url)) as conn:
            conn.execute("CREATE SCHEMA cdm54")
            for table, tf in find_tables(omop.folder).items():
                path: Path = tf.paths[0]
                with path.open(newline="") as f:
                    header = next(csv.reader(f))
                spec = dict((*TABLES[table].columns, *TABLES[table].optional_columns))
                cols = ", ".join(f'"{c}" {_PG_TYPE[spec.get(c.lower(), "VARCHAR")]}' for c in header)
                conn.execute(f'CREATE TABLE cdm54."{table}" ({cols})')
                with conn.cursor().copy(f'COPY cdm54."{table}" FROM STDIN WITH (FORMAT csv, HEADER)') as cp, \
                        path.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        cp.write(chunk)
            conn.execute("CREATE TABLE public.unrelated (x int)")  # other schemas are not read
        yield url
    finally:
        with psycopg.connect(_plain_url(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_cdm_gives_the_same_worklist(cdm_database: str, omop: Dataset, tmp_path: Path) -> None:
    files = run_screen(ScreenConfig(source=str(omop.folder), top_n=10))
    out = tmp_path / "out"
    db = run_screen(ScreenConfig(source=cdm_database, schema="cdm54", out=out, top_n=10))
    same_result(db, files)
    assert db.manifest["source"]["kind"] == "postgres"
    from sqlalchemy.engine import make_url

    password = make_url(cdm_database).password
    text = (out / "manifest.json").read_text()
    assert cdm_database not in text or not password
    if password:
        assert str(password) not in text


def test_postgres_schema_without_the_cdm_is_named(cdm_database: str, tmp_path: Path) -> None:
    err = expect_input_error(cdm_database, tmp_path)  # schema 'public' holds no CDM table
    assert {p.path for p in err.problems} >= {"person", "observation_period", "procedure_occurrence"}


def test_unreachable_database_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    """No server needed: a port nothing listens on. The error names the source, hides the password, writes nothing."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    err = expect_input_error(f"postgresql://analyst:s3cret-pw@127.0.0.1:{port}/cdm", tmp_path)
    assert [p.path for p in err.problems] == ["source"]
    assert "s3cret-pw" not in str(err) and all("s3cret-pw" not in p.message for p in err.problems)
    assert f"127.0.0.1:{port}" in err.problems[0].message

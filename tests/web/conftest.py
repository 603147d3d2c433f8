"""Fixtures for the web tests: a migrated database (SQLite, or PostgreSQL when configured),
the app, and clients signed in by session (browser-like) or by API token."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from revspine.knowledge import KnowledgePack
from revspine.settings import Settings, load_settings
from revspine.storage import Database, accounts, migrate
from revspine.web import create_app

PASSWORD = "correct horse battery"
POSTGRES_ENV = "REVSPINE_TEST_POSTGRES_URL"


@dataclass
class Env:
    settings: Settings
    db: Database
    app: FastAPI
    token: str
    admin_token: str


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                    "next": "/patients"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against (.ci/run starts one)")
    return url


@pytest.fixture
def postgres_db_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    base = postgres_url_or_skip()
    name = "revspine_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


APP_ROLE = "revspine_app"


def app_role_url(owner_url: str) -> str:
    """Migrate as the owner, then connect as the application role, which owns nothing (storage/roles.py)."""
    from revspine.storage.roles import grant_app_role

    owner = Database(owner_url)
    try:
        migrate(owner)
        try:
            grant_app_role(owner, APP_ROLE, create=True)
        except Exception:  # another test created the role at the same moment: grant again
            grant_app_role(owner, APP_ROLE, create=True)
    finally:
        owner.dispose()
    return make_url(owner_url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def make_env(tmp_path: Path, pack: KnowledgePack, url: str | None = None, **overrides: object) -> Env:
    if url is not None and url.startswith("postgresql"):
        url = app_role_url(url)
    values = {"database_url": url or f"sqlite:///{tmp_path}/revspine.sqlite3", "data_dir": str(tmp_path),
              "secret_key": "test-secret-key", **overrides}
    settings = load_settings(values, environ={})
    db = Database(settings.resolved_database_url())
    if db.dialect == "sqlite":
        migrate(db)
    def users(s: Session) -> tuple[str, str]:
        alice = accounts.create_user(s, "alice", PASSWORD, "clinician")
        root = accounts.create_user(s, "root", PASSWORD, "admin")
        return accounts.create_token(s, alice.id, "tests")[1], accounts.create_token(s, root.id, "tests")[1]
    token, admin_token = db.write(users)
    return Env(settings, db, create_app(settings, db=db, pack=pack), token, admin_token)


@pytest.fixture
def env(tmp_path: Path, pack: KnowledgePack) -> Iterator[Env]:
    e = make_env(tmp_path, pack)
    yield e
    e.db.dispose()


@pytest.fixture
def anon(env: Env) -> Iterator[TestClient]:
    with TestClient(env.app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def browser(env: Env) -> Iterator[TestClient]:
    """Signed in as the clinician 'alice' by session cookie, like a browser."""
    with TestClient(env.app, follow_redirects=False) as c:
        login(c, "alice")
        yield c


@pytest.fixture
def api(env: Env) -> Iterator[TestClient]:
    """Bearer-token client for the REST API, as the clinician 'alice'."""
    with TestClient(env.app, follow_redirects=False, headers={"Authorization": f"Bearer {env.token}"}) as c:
        yield c


def new_patient(api: TestClient, name: str = "Test Patient", mrn: str | None = None) -> int:
    r = api.post("/api/patients", json={"display_name": name, "mrn": mrn})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def case_form_data(case: dict, csrf: str, **extra: str) -> dict:
    """A case JSON as the case form would post it (field names are JSON paths)."""
    from revspine.web.case_form import flatten

    return {"csrf_token": csrf, **extra, **flatten(case)}

"""The web commands of the CLI, and the settings registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from revspine.cli import app as cli
from revspine.cli.main import example_paths
from revspine.cli.web_commands import DEMO_PASSWORD, DEMO_USERNAME
from revspine.errors import InputError
from revspine.settings import SETTINGS, load_settings
from revspine.storage import Database, accounts
from revspine.storage.tables import AssessmentRow, PatientRow

DOCS = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def test_user_create_reads_the_password_from_stdin(tmp_path):
    url = f"sqlite:///{tmp_path}/c.sqlite3"
    run = CliRunner().invoke(cli, ["user", "create", "--username", "Bob", "--role", "admin", "--password-stdin",
                                   "--database-url", url], input="a long secret phrase\n")
    assert run.exit_code == 0, run.output
    assert "created admin bob" in run.output
    with Database(url).read() as s:
        assert accounts.authenticate(s, "bob", "a long secret phrase").role == "admin"
    again = CliRunner().invoke(cli, ["user", "create", "--username", "bob", "--password-stdin", "--database-url", url],
                               input="short\n")
    assert again.exit_code == 2
    assert "username: this username is taken" in again.output and "password:" in again.output


def test_demo_prepares_patients_and_login_once(tmp_path):
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    for _ in range(2):
        run = CliRunner().invoke(cli, ["demo", "--no-serve", "--database-url", url])
        assert run.exit_code == 0, run.output
        assert f"username {DEMO_USERNAME}" in run.output and f"password {DEMO_PASSWORD}" in run.output
        assert "http://127.0.0.1:" in run.output
    db = Database(url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PatientRow)) == len(example_paths())
        assert s.scalar(select(func.count()).select_from(AssessmentRow)) == len(example_paths())
        assert accounts.authenticate(s, DEMO_USERNAME, DEMO_PASSWORD) is not None


def test_token_create_prints_a_working_token(tmp_path):
    url = f"sqlite:///{tmp_path}/t.sqlite3"
    CliRunner().invoke(cli, ["user", "create", "--username", "eve", "--password-stdin", "--database-url", url],
                       input="a long secret phrase\n")
    run = CliRunner().invoke(cli, ["token", "create", "--username", "eve", "--database-url", url])
    assert run.exit_code == 0
    with Database(url).read() as s:
        assert accounts.user_for_token(s, run.stdout.strip()).username == "eve"


def test_settings_come_from_defaults_then_environment_then_arguments():
    s = load_settings(environ={"REVSPINE_PORT": "9001", "REVSPINE_DATABASE_URL": "postgresql+psycopg://x/y",
                               "REVSPINE_LOG_JSON": "false"})
    assert (s.port, s.database_url, s.log_json) == (9001, "postgresql+psycopg://x/y", False)
    assert load_settings({"port": 9002}, environ={"REVSPINE_PORT": "9001"}).port == 9002
    assert load_settings(environ={}).resolved_database_url().startswith("sqlite:///")
    with pytest.raises(InputError) as info:
        load_settings(environ={"REVSPINE_PORT": "eighty"})
    assert info.value.problems[0].path == "REVSPINE_PORT"
    with pytest.raises(InputError):
        load_settings({"no_such_setting": 1}, environ={})


def test_every_setting_survives_the_trip_through_the_environment():
    """`revspine serve --workers N` hands settings to its workers as text: each must come back typed."""
    default = load_settings(environ={})
    as_text = {s.env: str(getattr(default, s.name)) for s in SETTINGS}
    assert load_settings(environ=as_text) == default
    assert load_settings(environ={"REVSPINE_TOKEN_CACHE_SECONDS": "2.5"}).token_cache_seconds == 2.5
    with pytest.raises(InputError) as info:
        load_settings(environ={"REVSPINE_TOKEN_CACHE_SECONDS": "soon"})
    assert info.value.problems[0].path == "REVSPINE_TOKEN_CACHE_SECONDS"


def test_secure_cookie_setting_follows_the_host():
    assert not load_settings(environ={}).secure_cookies()
    assert load_settings({"host": "0.0.0.0"}, environ={}).secure_cookies()
    assert not load_settings({"host": "0.0.0.0", "cookie_secure": "false"}, environ={}).secure_cookies()


def test_the_settings_table_in_the_docs_is_generated_from_the_settings():
    """docs/web.md holds `revspine.settings.settings_table()` verbatim (regenerate it when a setting changes)."""
    from revspine.settings import settings_table

    assert settings_table() in DOCS.read_text()


def test_every_setting_is_documented():
    text = DOCS.read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} missing from docs/web.md"
        assert setting.help


def _clinic_pack(folder):
    import yaml

    folder.mkdir()
    (folder / "pack.yaml").write_text(yaml.safe_dump({"pack": {
        "id": "clinic", "name": "Clinic pack", "version": "3", "released": "2026-11-01", "description": "d"}}))
    return folder


@pytest.mark.parametrize("variable", ["REVSPINE_KNOWLEDGE_PACKS", "REVSPINE_LOCAL_PACKS"])
def test_a_hospitals_local_pack_is_applied_by_the_web_app(tmp_path, variable, caplog):
    """One setting, honoured by the web app as by the CLI: the stored assessment names the local pack."""
    import logging

    from fastapi.testclient import TestClient

    from revspine.storage import Database, accounts, migrate
    from revspine.web import create_app

    local = _clinic_pack(tmp_path / "clinic")
    settings = load_settings({"data_dir": str(tmp_path), "secret_key": "k"}, environ={variable: str(local)})
    assert settings.pack_dirs() == [local]
    db = Database(settings.resolved_database_url())
    migrate(db)
    def alice(s):
        user = accounts.create_user(s, "alice", "correct horse battery")
        return accounts.create_token(s, user.id, "t")[1]
    token = db.write(alice)
    with caplog.at_level(logging.INFO, logger="revspine.web"):
        app = create_app(settings, db=db)
    assert any("clinic@3" in r.getMessage() for r in caplog.records)  # the start-up log names the packs
    example = json.loads(example_paths()[0].read_text())
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        pid = c.post("/api/patients", json={"display_name": "Local Pack"}).json()["id"]
        r = c.post(f"/api/patients/{pid}/assess", json=example)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["versions"]["knowledge"].endswith("+clinic.3")
    db.dispose()


def test_start_up_warns_when_no_cds_client_is_trusted(tmp_path, pack, caplog):
    import logging

    from revspine.cdshooks import CdsSettings
    from revspine.web import create_app

    from .conftest import make_env

    env = make_env(tmp_path, pack)
    with caplog.at_level(logging.INFO, logger="revspine.web"):
        create_app(env.settings, db=env.db, pack=pack, cds_settings=CdsSettings())
    assert any(r.levelno == logging.WARNING and "no client is trusted" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="revspine.web"):
        create_app(env.settings, db=env.db, pack=pack, cds_settings=CdsSettings.from_env(
            {"REVSPINE_CDS_TRUST": "sandbox"}))
    assert not any(r.levelno == logging.WARNING for r in caplog.records)
    assert any("https://sandbox.cds-hooks.org" in r.getMessage() for r in caplog.records)
    env.db.dispose()


def test_the_sandbox_trust_preset_pins_the_sandbox_key():
    from revspine.cdshooks import CdsSettings

    s = CdsSettings.from_env({"REVSPINE_CDS_TRUST": "sandbox"})
    [issuer] = s.issuers
    assert issuer.iss == "https://sandbox.cds-hooks.org" and issuer.jwks is not None
    assert [k["kid"] for k in issuer.jwks["keys"]] == ["44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"]


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_taken_port_fails_before_serving_and_says_how_to_choose_another(tmp_path, command):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = CliRunner().invoke(cli, [command, "--port", str(port), "--database-url",
                                       f"sqlite:///{tmp_path}/p.sqlite3"])
    assert run.exit_code != 0 and "Traceback" not in run.output
    assert f"port {port} on 127.0.0.1 is already in use" in run.output
    assert f"PORT={port + 1} make run" in run.output
    assert "open     http" not in run.output  # no address printed as if it were served

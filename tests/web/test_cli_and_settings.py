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
    assert load_settings(environ=default.to_environ()) == default
    changed = load_settings({"port": 9003, "log_json": False}, environ={
        "REVSPINE_CDS_TRUST": "sandbox", "REVSPINE_CDS__BASE_URL": "https://cds.test",
        "REVSPINE_CDS__ALGORITHMS": "ES384", "REVSPINE_CDS__FHIR_TIMEOUT_SECONDS": "2.5"})
    assert changed.cds.issuers[0].jwks is not None and changed.cds.algorithms == ["ES384"]
    assert load_settings(environ=changed.to_environ()) == changed
    assert set(changed.to_environ()) == {s.env for s in SETTINGS}
    assert load_settings(environ={"REVSPINE_TOKEN_CACHE_SECONDS": "2.5"}).token_cache_seconds == 2.5
    with pytest.raises(InputError) as info:
        load_settings(environ={"REVSPINE_TOKEN_CACHE_SECONDS": "soon"})
    assert info.value.problems[0].path == "REVSPINE_TOKEN_CACHE_SECONDS"


@pytest.mark.parametrize(("environ", "where"), [
    ({"REVSPINE_PORT": "abc"}, "REVSPINE_PORT"),
    ({"REVSPINE_LOG_JSON": "perhaps"}, "REVSPINE_LOG_JSON"),
    ({"REVSPINE_COOKIE_SECURE": "sometimes"}, "REVSPINE_COOKIE_SECURE"),
    ({"REVSPINE_CDS__LEEWAY_SECONDS": "9999"}, "REVSPINE_CDS__LEEWAY_SECONDS"),
    ({"REVSPINE_CDS__ALGORITHMS": "HS256"}, "REVSPINE_CDS__ALGORITHMS"),
    ({"REVSPINE_CDS_REQUIRE_AUTH": "maybe"}, "REVSPINE_CDS_REQUIRE_AUTH"),  # the older name, as given
    ({"REVSPINE_CDS_TRUST": "/no/such/trust.json"}, "REVSPINE_CDS_TRUST"),
    ({"REVSPINE_CDS__ISSUERS": '[{"iss": "https://ehr.test", "jku": ["http://ehr.test/jwks"]}]'},
     "REVSPINE_CDS__ISSUERS[0].jku"),
    ({"REVSPINE_CDS__ISSUERS": "[{not json"}, "REVSPINE_CDS__ISSUERS"),
    ({"REVSPINE_CDS__BASEURL": "https://cds.test"}, "REVSPINE_CDS__BASEURL"),  # a misspelt name is no silent no-op
    ({"REVSPINE_CDS": "{not json"}, "REVSPINE_CDS"),
])
def test_a_bad_setting_is_an_input_error_naming_the_variable(environ, where):
    with pytest.raises(InputError) as info:
        load_settings(environ=environ)
    assert [p.path for p in info.value.problems] == [where]
    assert where in str(info.value)


def test_a_bad_argument_is_named_by_its_setting_and_a_bad_variable_stops_the_cli_cleanly(tmp_path, monkeypatch):
    with pytest.raises(InputError) as info:
        load_settings({"port": "abc"}, environ={})
    assert [p.path for p in info.value.problems] == ["port"]
    monkeypatch.setenv("REVSPINE_PORT", "abc")
    run = CliRunner().invoke(cli, ["serve", "--database-url", f"sqlite:///{tmp_path}/x.sqlite3"])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert "REVSPINE_PORT" in run.output


def test_the_current_name_wins_over_the_older_one_and_no_env_file_is_read(tmp_path, monkeypatch):
    env = {"REVSPINE_KNOWLEDGE_PACKS": "/new", "REVSPINE_LOCAL_PACKS": "/old",
           "REVSPINE_CDS__BASE_URL": "https://new.test", "REVSPINE_CDS_BASE_URL": "https://old.test"}
    s = load_settings(environ=env)
    assert (s.knowledge_packs, s.cds.base_url) == ("/new", "https://new.test")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("REVSPINE_PORT=1234\nREVSPINE_CDS__BASE_URL=https://dotenv.test\n")
    monkeypatch.delenv("REVSPINE_PORT", raising=False)
    assert load_settings(environ={}).port == 8000
    assert load_settings().port == 8000 and load_settings().cds.base_url != "https://dotenv.test"


@pytest.fixture
def clinic_pack_in_the_environment(tmp_path, monkeypatch):
    """REVSPINE_KNOWLEDGE_PACKS names a local pack; the process-wide configured pack is read afresh."""
    from revspine.settings import configured_pack

    monkeypatch.setenv("REVSPINE_KNOWLEDGE_PACKS", str(_clinic_pack(tmp_path / "clinic")))
    monkeypatch.setenv("REVSPINE_KNOWLEDGE_CACHE_DIR", "off")
    configured_pack.cache_clear()
    yield
    configured_pack.cache_clear()


@pytest.mark.usefixtures("clinic_pack_in_the_environment")
def test_every_entry_point_assesses_with_the_knowledge_pack_setting(monkeypatch):
    """The CLI, the stand-alone CDS Hooks app and FHIR endpoint, and the screen read the one setting (the web
    app: test_a_hospitals_local_pack_is_applied_by_the_web_app)."""
    from revspine.cdshooks.app import create_ehr_app
    from revspine.settings import configured_pack

    example = example_paths()[0]
    run = CliRunner().invoke(cli, ["assess", str(example), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["versions"]["knowledge"].endswith("+clinic.3")
    assert create_ehr_app().state.cds.pack.version.endswith("+clinic.3")
    assert configured_pack().version.endswith("+clinic.3")  # what the screen and the FHIR router fall back on

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from revspine.fhir.api import create_fhir_router

    from ..fhir_samples import fbss_bundle

    monkeypatch.setenv("REVSPINE_FHIR_ALLOW_ANONYMOUS", "true")
    app = FastAPI()
    app.include_router(create_fhir_router())
    with TestClient(app) as c:
        r = c.post("/fhir/$assess", json=fbss_bundle(), headers={"Content-Type": "application/fhir+json"})
    assert r.status_code == 200, r.text[:300]
    assert "+clinic.3" in r.text


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
        create_app(env.settings, db=env.db, pack=pack, cds_settings=load_settings(
            environ={"REVSPINE_CDS__ISSUERS": "sandbox"}).cds)
    assert not any(r.levelno == logging.WARNING for r in caplog.records)
    assert any("https://sandbox.cds-hooks.org" in r.getMessage() for r in caplog.records)
    caplog.clear()
    trusting = load_settings({"data_dir": str(tmp_path), "secret_key": "k"}, environ={"REVSPINE_CDS_TRUST": "sandbox"})
    with caplog.at_level(logging.INFO, logger="revspine.web"):
        create_app(trusting, db=env.db, pack=pack)  # no cds_settings given: the app reads settings.cds
    assert any("trusts: https://sandbox.cds-hooks.org" in r.getMessage() for r in caplog.records)
    assert any(f"knowledge {pack.version}" in r.getMessage() for r in caplog.records)
    env.db.dispose()


def test_the_sandbox_trust_preset_pins_the_sandbox_key():
    s = load_settings(environ={"REVSPINE_CDS_TRUST": "sandbox"}).cds  # the older name of REVSPINE_CDS__ISSUERS
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


def test_assessment_workers_default_to_one_less_than_the_cpus(monkeypatch):
    # The serving process keeps a core: on two cores one worker served more, with less CPU per request
    # (benchmarks/bench_web.py, docs/web.md).
    import os

    from revspine.errors import InputError
    from revspine.settings import load_settings

    for cpus, workers in ((2, 1), (1, 1), (8, 7), (None, 1)):
        monkeypatch.setattr(os, "cpu_count", lambda cpus=cpus: cpus)
        assert load_settings(environ={}).assess_workers == workers
    assert load_settings(environ={"REVSPINE_ASSESS_WORKERS": "0"}).assess_workers == 0
    assert load_settings(environ={"REVSPINE_ASSESS_WORKERS": "3"}).assess_workers == 3
    with pytest.raises(InputError) as exc:
        load_settings(environ={"REVSPINE_ASSESS_WORKERS": "-2"})
    assert "REVSPINE_ASSESS_WORKERS" in str(exc.value.to_dict())

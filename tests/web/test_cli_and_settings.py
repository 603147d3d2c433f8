"""The web commands of the CLI, and the settings registry."""

from __future__ import annotations

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


def test_every_setting_is_documented():
    text = DOCS.read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} missing from docs/web.md"
        assert setting.help

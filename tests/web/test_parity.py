"""The same case gives the same assessment through the CLI, the REST API and the page's JSON twin."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from revspine.cli import app as cli
from revspine.cli.main import example_paths

from .conftest import new_patient


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_cli_api_and_page_agree(path, api, browser):
    run = CliRunner().invoke(cli, ["assess", str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    from_cli = json.loads(run.stdout)
    pid = new_patient(api, f"Parity {path.stem}")
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(path.read_text()))
    assert r.status_code == 200, r.text
    from_api = r.json()
    aid = r.headers["X-Revspine-Assessment-Id"]
    from_page = browser.get(f"/assessments/{aid}.json").json()["assessment"]
    from_stored = api.get(f"/api/assessments/{aid}").json()["assessment"]
    assert from_api == from_cli
    assert from_page == from_cli
    assert from_stored == from_cli
    assert from_cli["differential"], "the example should produce a differential"


def test_form_entry_gives_the_cli_assessment(browser, api, examples):
    """Entering the example through the case form (as a person would) gives the CLI's assessment."""
    from .conftest import case_form_data, csrf_from

    path = examples[0]
    pid = new_patient(api, "Form parity")
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    data = case_form_data(json.loads(path.read_text()), token, _title="Form parity")
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 303, r.text[:2000]
    aid = r.headers["location"].rsplit("/", 1)[1]
    from_page = browser.get(f"/assessments/{aid}.json").json()["assessment"]
    from_cli = json.loads(CliRunner().invoke(cli, ["assess", str(path), "--format", "json"]).stdout)
    assert from_page == from_cli

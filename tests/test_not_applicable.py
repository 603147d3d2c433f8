"""A patient who never had spine surgery: the failed-surgery pathway does not apply, through every adapter.

The real Synthea bundles of ../shared (none has a spine operation) read through the FHIR path; the CLI; the
FHIR $assess operation; the CDS Hooks cards (the web API and page: tests/web/test_not_applicable_web.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from revspine.cdshooks.service import PATIENT_VIEW
from revspine.cli import app
from revspine.fhir import bundle_to_case
from revspine.knowledge import KnowledgePack
from revspine.pipeline import assess

from .cds_support import call, card_problems, hook_request, make_app, prefetch_for
from .conftest import TODAY
from .fhir_samples import PID, fbss_resources
from .test_fhir_api import AUTH, _app

NO_SURGERY = {"assessment_date": "2026-11-20", "patient": {"age": 50, "sex": "female"},
              "symptoms": {"symptoms": ["back_pain"]}}


def test_every_synthea_patient_is_not_applicable(shared_data: Path, pack: KnowledgePack) -> None:
    files = sorted((shared_data / "synthea-r4" / "bundles").glob("*.json"))
    assert len(files) >= 20
    for path in files:
        case, _ = bundle_to_case(json.loads(path.read_text()), pack, today=TODAY)
        assert case.surgeries == [], path.name
        a = assess(case, pack)
        assert a.applicability == "not_applicable", path.name
        assert a.differential == [] and a.mimics == [] and a.workup == [], path.name
        assert a.decision.category == "not_applicable", (path.name, [f.rule_id for f in a.red_flags])
        assert "No prior spine operation" in a.decision.reasons[0]


def test_cli(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(NO_SURGERY))
    runner = CliRunner()
    out = json.loads(runner.invoke(app, ["assess", str(path), "--format", "json"]).stdout)
    assert out["applicability"] == "not_applicable" and out["decision"]["category"] == "not_applicable"
    assert out["differential"] == []
    md = runner.invoke(app, ["assess", str(path), "--format", "markdown"]).stdout
    assert "Not applicable: no prior spine operation" in md and "No prior spine operation is recorded" in md


def _without_surgery() -> list[dict]:
    return [r for r in fbss_resources() if r["resourceType"] != "Procedure"]


def test_fhir_assess_operation() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in _without_surgery()]}
    r = call(_app(), "POST", f"/fhir/$assess?type=collection&today={TODAY}", content=orjson.dumps(bundle),
             headers=AUTH)
    assert r.status_code == 200
    [plan] = [e["resource"] for e in r.json()["entry"] if e["resource"]["resourceType"] == "CarePlan"]
    assert plan["category"][0]["coding"][0]["code"] == "not_applicable"
    assert "No prior spine operation" in plan["note"][0]["text"]


def test_cds_hooks_card_says_not_applicable_when_only_a_diagnosis_mentions_surgery() -> None:
    """The record codes a failed back surgery (M96.1) but no operation: no differential, and the card says why."""
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(_without_surgery())))
    assert r.status_code == 200
    body = r.json()
    assert card_problems(body) == []
    [card] = body["cards"]  # a card appears because the record suggests an operation (M96.1)
    assert card["summary"] == "Not applicable: no prior spine operation recorded"
    assert "no differential is ranked" in card["detail"] and "Leading causes" not in card["detail"]

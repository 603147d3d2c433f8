"""Assessment -> FHIR R4: validates against two R4 model libraries and round-trips."""

from __future__ import annotations

import json

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle as R4BBundle
from fhirclient.models.bundle import Bundle as R4Bundle
from typer.testing import CliRunner

from revspine import parse_case
from revspine.cli import app
from revspine.cli.main import read_case_file
from revspine.fhir import assessment_to_bundle, bundle_to_case
from revspine.pipeline import assess

from .conftest import TODAY
from .fhir_samples import fbss_bundle


@pytest.fixture(scope="module")
def from_fhir(pack):
    case, report = bundle_to_case(fbss_bundle(), pack, today=TODAY)
    a = assess(case, pack)
    return a, case, report


def _resources(bundle: dict, rtype: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


@pytest.mark.parametrize("kind", ["collection", "transaction"])
def test_output_validates_as_r4_and_round_trips(from_fhir, pack, kind):
    a, case, report = from_fhir
    bundle = assessment_to_bundle(a, case, report=report, bundle_type=kind, pack=pack)
    text = orjson.dumps(bundle)
    # fhirclient: FHIR 4.0.1 models, strict (unknown or missing required elements raise)
    r4 = R4Bundle(json.loads(text), strict=True)
    assert r4.as_json() == bundle
    # fhir.resources R4B pydantic models
    r4b = R4BBundle.model_validate_json(text)
    assert json.loads(r4b.model_dump_json(exclude_none=True)) == bundle
    if kind == "transaction":
        assert all(e["request"]["method"] == "POST" for e in bundle["entry"])


def test_bundle_content_matches_the_assessment(from_fhir, pack):
    a, case, report = from_fhir
    bundle = assessment_to_bundle(a, case, report=report, pack=pack)
    [ra] = _resources(bundle, "RiskAssessment")
    causes = [p["outcome"]["coding"][-1]["code"] for p in ra["prediction"]]
    assert causes == [c.cause for c in (*a.differential, *a.mimics)]
    assert ra["subject"] == {"reference": "Patient/fbss-1"}
    assert all("probabilityDecimal" not in p for p in ra["prediction"])  # the score is not a probability
    assert {"reference": "Condition/dx-fbss"} in ra["basis"]
    requests = _resources(bundle, "ServiceRequest")
    assert [r["code"]["coding"][-1]["code"] for r in requests] == [w.test for w in a.workup]
    [plan] = _resources(bundle, "CarePlan")
    urls = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"}
    assert {act["reference"]["reference"] for act in plan.get("activity", []) if "reference" in act} == urls
    assert plan["description"] == a.decision.summary
    [device] = _resources(bundle, "Device")
    assert {v["type"]["text"]: v["value"] for v in device["version"]}["engine"] == a.versions.engine
    [prov] = _resources(bundle, "Provenance")
    assert prov["entity"][0]["what"]["identifier"]["value"] == f"{a.versions.knowledge_id}@{a.versions.knowledge}"
    assert len(prov["target"]) == len(bundle["entry"]) - 2
    assert _resources(bundle, "OperationOutcome")


def test_workup_requests_carry_pack_codes(pack, examples):
    case = parse_case(read_case_file(examples[0]), pack, today=TODAY)
    a = assess(case, pack)
    bundle = assessment_to_bundle(a, case, pack=pack)
    # a case without a FHIR patient gets a stub Patient carrying the case id only
    [patient] = _resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == case.case_id and "name" not in patient
    for sr in _resources(bundle, "ServiceRequest"):
        test = pack.workup_tests[sr["code"]["coding"][-1]["code"]]
        codes = {c["code"] for c in sr["code"]["coding"][:-1]}
        assert codes == set(test.loinc) | set(test.cpt) | set(test.snomed)
    R4Bundle(bundle, strict=True)


def test_red_flags_become_detected_issues(pack):
    case = parse_case({"patient": {"age": 60}, "surgeries": [{"procedure": "laminectomy", "region": "lumbar",
                                                                "levels": ["L4-L5"], "date": "2026-10-01"}],
                       "exam": {"saddle_anaesthesia": True}}, pack, today=TODAY)
    a = assess(case, pack)
    bundle = assessment_to_bundle(a, case, pack=pack)
    issues = _resources(bundle, "DetectedIssue")
    assert [i["code"]["coding"][0]["code"] for i in issues] == [f.rule_id for f in a.red_flags]
    assert issues and issues[0]["severity"] == "high"
    R4Bundle(bundle, strict=True)


def test_cli_assess_accepts_a_bundle_and_prints_fhir(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(fbss_bundle()))
    result = CliRunner().invoke(app, ["assess", str(path), "--format", "fhir", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["resourceType"] == "Bundle"
    R4Bundle(out, strict=True)
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}')
    result = CliRunner().invoke(app, ["assess", str(bad)])
    assert result.exit_code == 2 and "resourceType" in result.output

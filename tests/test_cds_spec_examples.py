"""Every request example of the CDS Hooks specification is answered per the spec, never with a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revspine.cdshooks.service import HOOKS

from .cds_support import call, card_problems, make_app, unreachable

SPEC = Path(__file__).resolve().parents[2] / "shared" / "data" / "cds-hooks" / "spec-examples"


def _request_files() -> list[str]:
    index = SPEC / "index.json"
    if not index.is_file():
        return []
    return sorted(Path(i["file"]).name for i in json.loads(index.read_text()) if i.get("kind") == "request")


@pytest.mark.parametrize("name", _request_files() or ["(no shared data)"])
def test_spec_request_example_is_answered(shared_data, name):
    path = shared_data / "cds-hooks" / "spec-examples" / name
    body = json.loads(path.read_text())
    app, _ = make_app(fhir=unreachable())
    service = next(sid for sid, hooks in HOOKS.items() if hooks == (body["hook"],))
    r = call(app, "POST", f"/cds-services/{service}", json=body)
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        assert card_problems(r.json()) == []
    else:
        # 4xx answers carry an OperationOutcome (3.0 ballot SHOULD) saying what is wrong
        assert r.status_code in (400, 412, 422)
        assert r.json()["resourceType"] == "OperationOutcome"
    if body["hook"] == "patient-view" and "patientId" in body["context"] and not body.get("prefetch", {}).keys() >= {
            "conditions"}:
        # prefetch incomplete and the FHIR server cannot be used -> 412 Precondition Failed
        assert r.status_code == 412


def test_spec_request_files_are_all_found(shared_data):
    assert len(_request_files()) == 8

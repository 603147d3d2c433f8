"""Bad input on the form or the API: 422 naming the field, and nothing partly saved."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from revspine.storage.tables import AssessmentRow, AuditRow, CaseRow, CaseVersionRow, PatientRow

from .conftest import case_form_data, csrf_from, new_patient


def _counts(env) -> dict[str, int]:
    with env.db.read() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0
                for t in (PatientRow, CaseRow, CaseVersionRow, AssessmentRow)}


def _bad_case(examples) -> dict:
    case = json.loads(examples[0].read_text())
    case["surgeries"][0]["date"] = "2031-01-01"  # after the assessment date
    case["labs"][0]["unit"] = "furlongs"
    return case


def test_api_bad_case_is_422_with_paths_and_saves_nothing(env, api, examples):
    pid = new_patient(api)
    before = _counts(env)
    r = api.post(f"/api/patients/{pid}/assess", json=_bad_case(examples))
    assert r.status_code == 422
    body = r.json()
    assert body["ok"] is False and body["status"] == 422
    paths = {e["path"] for e in body["errors"]}
    assert {"surgeries[0].date", "labs[0].unit"} <= paths
    assert all(e["message"] for e in body["errors"])
    assert _counts(env) == before


def test_api_schema_violation_names_the_field(env, api):
    pid = new_patient(api)
    before = _counts(env)
    r = api.post(f"/api/patients/{pid}/assess", json={"surgeries": [{"procedure": "tlif"}], "bogus": 1})
    assert r.status_code == 422
    paths = {e["path"] for e in r.json()["errors"]}
    assert {"surgeries[0].region", "surgeries[0].date", "bogus"} <= paths
    r = api.post("/api/patients", json={"display_name": "", "birth_date": "yesterday"})
    assert r.status_code == 422
    assert {e["path"] for e in r.json()["errors"]} >= {"display_name", "birth_date"}
    assert _counts(env) == before


def test_api_duplicate_mrn_is_422(api):
    new_patient(api, "One", "MRN-1")
    r = api.post("/api/patients", json={"display_name": "Two", "mrn": "MRN-1"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "mrn"


def test_form_bad_case_shows_messages_beside_fields_and_saves_nothing(env, browser, api, examples):
    pid = new_patient(api)
    before = _counts(env)
    page = browser.get(f"/patients/{pid}/cases/new").text
    data = case_form_data(_bad_case(examples), csrf_from(page), _title="Bad")
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422
    # Each message sits inside the field's own block, and the entered values are kept.
    for path, words in (("surgeries[0].date", "after the assessment date"), ("labs[0].unit", "furlongs")):
        start = r.text.index(f'name="{path}"')
        assert words in r.text[start:r.text.index("</div>", start)], path
    assert 'value="2031-01-01"' in r.text
    data = case_form_data(json.loads(examples[0].read_text()), csrf_from(page))
    data["symptoms.pain_free_interval_days"] = "-3"
    data["patient.sex"] = "dragon"
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422
    for path, words in (("symptoms.pain_free_interval_days", "greater than or equal to 0"),
                        ("patient.sex", "unknown code")):
        start = r.text.index(f'name="{path}"')
        assert words in r.text[start:r.text.index("</div>", start)], path
    assert _counts(env) == before


def test_form_rows_removed_in_the_middle_still_map_errors_to_their_field(env, browser, api):
    pid = new_patient(api)
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    data = {"csrf_token": token, "labs[0].test": "crp", "labs[0].value": "1", "labs[0].unit": "mg/dL",
            "labs[0].date": "2026-01-01", "labs[3].test": "esr", "labs[3].value": "5", "labs[3].unit": "parsecs",
            "labs[3].date": "2026-01-01", "labs[2].test": "", "labs[2].value": ""}
    r = browser.post(f"/patients/{pid}/cases", data=data)
    assert r.status_code == 422
    start = r.text.index('name="labs[3].unit"')
    assert "parsecs" in r.text[start:r.text.index("</div>", start)]


def test_import_invalid_json_and_invalid_case(env, browser, api, examples):
    pid = new_patient(api)
    before = _counts(env)
    token = csrf_from(browser.get(f"/patients/{pid}/cases/new").text)
    r = browser.post(f"/patients/{pid}/import", data={"csrf_token": token, "case_json": "{not json"})
    assert r.status_code == 422 and "not valid JSON" in r.text
    r = browser.post(f"/patients/{pid}/import", data={"csrf_token": token},
                     files={"case_file": ("case.json", json.dumps(_bad_case(examples)), "application/json")})
    assert r.status_code == 422
    start = r.text.index('name="labs[0].unit"')
    assert "furlongs" in r.text[start:r.text.index("</div>", start)]
    assert _counts(env) == before
    ok = browser.post(f"/patients/{pid}/import", data={"csrf_token": token},
                      files={"case_file": ("case.json", examples[0].read_bytes(), "application/json")})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/assessments/")


def test_a_failing_write_rolls_back_the_whole_action(env, api, examples, monkeypatch):
    """If storing the assessment fails after the case version was written, neither stays."""
    from revspine.storage import records

    pid = new_patient(api)
    before = _counts(env)

    def boom(*args, **kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(records, "add_assessment", boom)
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
    assert r.status_code == 503
    assert r.json()["error"] == "Storage unavailable" and "disk full" not in r.text
    assert _counts(env) == before
    with env.db.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.object_type == "case")) == 0


def test_birth_date_in_a_case_is_not_stored_with_the_case(env, api, examples):
    pid = new_patient(api)
    case = json.loads(examples[0].read_text())
    case["patient"]["birth_date"] = "1968-03-04"
    r = api.post(f"/api/patients/{pid}/assess", json=case)
    assert r.status_code == 200
    with env.db.read() as s:
        version = s.scalars(select(CaseVersionRow)).one()
        stored = s.scalars(select(AssessmentRow)).one()
    assert "1968-03-04" not in json.dumps(version.data)
    assert "1968-03-04" not in json.dumps(stored.input_case)

"""The audit log records who viewed, created, changed and exported what; logs carry no patient data."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select, text

from revspine.errors import StorageError
from revspine.storage.tables import AuditRow

from .conftest import case_form_data, csrf_from, new_patient

SENTINEL = "Zzyzx Quetzalcoatl-Sentinel"
SENTINEL_MRN = "MRN-SENTINEL-8271"


def _audit(env) -> list[tuple[str, str, int | None, dict]]:
    with env.db.read() as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id))
        return [(r.action, r.object_type, r.object_id, r.detail) for r in rows]


def test_view_create_change_and_export_are_audited(env, api, browser, examples):
    pid = new_patient(api, "Audit Person")
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
    aid = int(r.headers["X-Revspine-Assessment-Id"])
    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
    api.patch(f"/api/patients/{pid}", json={"mrn": "MRN-NEW"})
    api.post(f"/api/cases/{case_id}/versions", json=json.loads(examples[0].read_text()))
    browser.get(f"/patients/{pid}")
    browser.get(f"/assessments/{aid}")
    assert browser.get(f"/assessments/{aid}.pdf").status_code == 200
    rows = _audit(env)
    kinds = {(a, t) for a, t, _, _ in rows}
    assert {("create", "patient"), ("create", "case"), ("create", "assessment"), ("change", "patient"),
            ("change", "case"), ("view", "patient"), ("view", "assessment"), ("export", "assessment"),
            ("login", "user")} <= kinds
    assert ("change", "patient", pid, {"mrn": True}) in rows
    assert ("export", "assessment", aid, {"patient_id": pid, "format": "pdf"}) in rows


def test_audit_log_is_append_only(env, api):
    new_patient(api)
    with pytest.raises(StorageError):
        env.db.write(lambda s: s.execute(text("UPDATE audit_log SET action = 'view'")))
    with pytest.raises(StorageError):
        env.db.write(lambda s: s.execute(text("DELETE FROM audit_log")))
    assert _audit(env)


def test_sentinel_patient_name_never_reaches_the_logs(env, api, browser, examples, caplog):
    caplog.set_level(logging.DEBUG)
    pid = new_patient(api, SENTINEL, SENTINEL_MRN)
    token = csrf_from(browser.get("/patients/new").text)
    browser.post("/patients", data={"csrf_token": token, "display_name": SENTINEL + " 2", "birth_date": "1950-02-03"})
    browser.get("/patients", params={"q": SENTINEL})
    browser.get("/patients.json", params={"q": SENTINEL_MRN})
    api.get("/api/patients", params={"q": SENTINEL})
    case = json.loads(examples[0].read_text())
    case["notes"] = f"seen with {SENTINEL}"
    case["case_id"] = "sentinel-case-ref"
    r = api.post(f"/api/patients/{pid}/assess", json=case)
    aid = r.headers["X-Revspine-Assessment-Id"]
    browser.get(f"/patients/{pid}")
    browser.get(f"/assessments/{aid}")
    browser.get(f"/assessments/{aid}.pdf")
    bad = dict(case, surgeries=[{"procedure": "tlif", "region": "lumbar", "date": "2099-01-01",
                                 "indication": SENTINEL}])
    assert api.post(f"/api/patients/{pid}/assess", json=bad).status_code == 422
    form = case_form_data(bad, csrf_from(browser.get(f"/patients/{pid}/cases/new").text), _title=SENTINEL)
    assert browser.post(f"/patients/{pid}/cases", data=form).status_code == 422
    api.patch(f"/api/patients/{pid}", json={"display_name": SENTINEL + " renamed"})
    # Everything the server side logged (the test's own HTTP client, httpx, logs the URLs it sends).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in server)
    assert "request" in logged, "the request log should have been captured"
    for secret in (SENTINEL, SENTINEL_MRN, "1950-02-03", "sentinel-case-ref", "Quetzalcoatl"):
        assert secret not in logged


def test_audit_detail_refuses_free_text():
    from revspine.storage import audit

    with pytest.raises(ValueError):
        audit.record(None, 1, "view", "patient", 1, {"name": "x" * 41})  # type: ignore[arg-type]

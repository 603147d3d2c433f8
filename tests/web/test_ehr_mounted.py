"""The CDS Hooks service and the FHIR endpoint as mounted in the web app, on its storage.

A signed patient-view call stores a real assessment whose link opens the app's page (after
login); card feedback lands in the audit log once; the FHIR endpoint needs an API token.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from revspine.storage import audit
from revspine.storage.tables import AssessmentRow
from revspine.web.app import create_app

from ..cds_support import BASE, ClientKeys, call, card_problems, hook_request, prefetch_for, settings
from ..fhir_samples import PID, fbss_resources
from .conftest import login, make_env

SERVICE = "revspine-patient-view"


AUD = f"{BASE}/cds-services/{SERVICE}"


def _app(tmp_path, pack, keys):
    env = make_env(tmp_path, pack)
    return env, create_app(env.settings, db=env.db, pack=pack, cds_settings=settings(keys))


def _patient_view(app, keys):
    return call(app, "POST", f"/cds-services/{SERVICE}", json=hook_request("patient-view", PID,
                                                                              prefetch_for(fbss_resources())),
                headers={"Authorization": f"Bearer {keys.token(AUD)}"})


def test_card_link_opens_a_stored_assessment_with_its_versions(tmp_path, pack):
    keys = ClientKeys()
    env, app = _app(tmp_path, pack, keys)
    r = _patient_view(app, keys)
    assert r.status_code == 200 and card_problems(r.json()) == []
    [card] = r.json()["cards"]
    path = card["links"][0]["url"].removeprefix(BASE)
    assert path.startswith("/assessments/")
    with env.db.read() as s:
        row = s.get(AssessmentRow, int(path.rsplit("/", 1)[1]))
        assert row is not None and row.input_case["surgeries"] and row.knowledge_id == "revspine-core"
        assert row.engine_version and row.result["decision"]["category"] == row.decision
    with TestClient(app, follow_redirects=False) as c:
        assert c.get(path).status_code == 303  # the page needs a login
        login(c, "alice")
        page = c.get(path + ".json")
        assert page.status_code == 200
    env.db.dispose()


def test_card_feedback_is_audited_once_without_the_comment(tmp_path, pack):
    keys = ClientKeys()
    env, app = _app(tmp_path, pack, keys)
    r = _patient_view(app, keys)
    card = r.json()["cards"][0]
    fb = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z",
                        "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "Sentinel Zebra"}}]}
    for _ in range(2):
        ok = call(app, "POST", f"/cds-services/{SERVICE}/feedback", json=fb,
                  headers={"Authorization": f"Bearer {keys.token(AUD + '/feedback')}"})
        assert ok.status_code == 200
    with env.db.read() as s:
        rows = [r for r in audit.list_audit(s, object_type="cds_card") if r.action == "feedback"]
    assert len(rows) == 1
    detail = rows[0].detail
    assert detail["outcome"] == "overridden" and detail["reason"] == card["overrideReasons"][0]["code"]
    assert detail["card"] == card["uuid"] and "Sentinel Zebra" not in str(detail)
    env.db.dispose()


def test_fhir_endpoint_needs_an_api_token(tmp_path, pack):
    keys = ClientKeys()
    env, app = _app(tmp_path, pack, keys)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in fbss_resources()]}
    with TestClient(app) as c:
        denied = c.post("/fhir/$assess", json=bundle)
        assert denied.status_code == 401 and denied.json()["resourceType"] == "OperationOutcome"
        ok = c.post("/fhir/$assess", json=bundle, headers={"Authorization": f"Bearer {env.token}"})
        assert ok.status_code == 200 and ok.json()["resourceType"] == "Bundle"
    env.db.dispose()

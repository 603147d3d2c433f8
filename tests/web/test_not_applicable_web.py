"""The web API and page for a case with no prior spine operation: not applicable, with the reason."""

from __future__ import annotations

from .conftest import new_patient

NO_SURGERY = {"assessment_date": "2026-11-20", "patient": {"age": 50, "sex": "female"},
              "symptoms": {"symptoms": ["back_pain", "fatigue"]}}


def test_api_and_page_say_not_applicable(api, browser):
    pid = new_patient(api)
    r = api.post(f"/api/patients/{pid}/assess", json=NO_SURGERY)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["applicability"] == "not_applicable" and out["decision"]["category"] == "not_applicable"
    assert out["differential"] == [] and "symptoms.symptoms: fatigue" in out["unweighed"]
    aid = r.headers["X-Revspine-Assessment-Id"]
    page = browser.get(f"/assessments/{aid}")
    assert page.status_code == 200
    assert "Not applicable: no prior spine operation" in page.text
    assert "No prior spine operation is recorded" in page.text
    assert "Recorded, not weighed" in page.text and "symptoms.symptoms: fatigue" in page.text
    twin = browser.get(f"/assessments/{aid}.json").json()
    assert twin["view"]["applies"] is False and twin["view"]["unweighed"] == out["unweighed"]

"""The pages and their JSON twins, through a signed-in browser session."""

from __future__ import annotations

import json

from revspine.web.contexts import (
    AccountContext,
    AssessmentPageContext,
    CaseFormContext,
    CaseVersionContext,
    CompareContext,
    PatientContext,
    PatientListContext,
)

from .conftest import csrf_from, new_patient


def test_every_page_renders_for_a_signed_in_clinician(browser, api, examples):
    pid = new_patient(api, "Page Person", "MRN-PAGE")
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
    aid = r.headers["X-Revspine-Assessment-Id"]
    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
    for url in ["/patients", f"/patients/{pid}", f"/assessments/{aid}", f"/patients/{pid}/cases/new",
                f"/cases/{case_id}/edit", f"/cases/{case_id}/versions/1", "/account",
                f"/patients/{pid}/compare?a={aid}&b={aid}"]:
        page = browser.get(url)
        assert page.status_code == 200, (url, page.text[:500])
        assert "text/html" in page.headers["content-type"]
    twins = {"/patients.json": PatientListContext, f"/patients/{pid}.json": PatientContext,
             f"/assessments/{aid}.json": AssessmentPageContext, f"/cases/{case_id}/versions/1.json": CaseVersionContext,
             "/account.json": AccountContext, f"/patients/{pid}/cases/new.json": CaseFormContext,
             f"/cases/{case_id}/edit.json": CaseFormContext,
             f"/patients/{pid}/compare.json?a={aid}&b={aid}": CompareContext}
    for url, model in twins.items():
        twin = browser.get(url)
        assert twin.status_code == 200, (url, twin.text[:500])
        assert twin.headers["content-type"].startswith("application/json")
        # The twin carries exactly the documented context fields.
        assert set(twin.json()) == set(model.model_fields), url


def test_edit_form_twin_is_prefilled_from_the_latest_version(browser, api, examples):
    from revspine.web.case_form import unflatten

    pid = new_patient(api)
    case = json.loads(examples[0].read_text())
    api.post(f"/api/patients/{pid}/assess", json=case)
    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
    form = browser.get(f"/cases/{case_id}/edit.json").json()
    items = [(k, x) for k, v in form["values"].items() for x in (v if isinstance(v, list) else [v])]
    data, _ = unflatten(items)
    stored = api.get(f"/api/cases/{case_id}/versions/1").json()["data"]
    assert data["surgeries"][0]["levels"] == stored["surgeries"][0]["levels"]
    assert len(data["imaging"][0]["findings"]) == len(stored["imaging"][0]["findings"])
    assert {f["section"] for f in form["fields"]} >= {"History and prior surgeries", "Examination", "Imaging"}


def test_edit_form_keeps_every_version_2_field(browser, api, examples):
    """Motor grades, sensory findings, denied symptoms and inequality values survive the edit form unchanged."""
    from revspine.web.case_form import unflatten

    pid = new_patient(api)
    case = json.loads(examples[0].read_text())
    case.pop("schema_version", None)
    case["symptoms"]["denied"] = ["fever"]
    case["exam"]["motor"] = [{"myotome": "L5", "side": "left", "mrc": 4, "new_since_surgery": True}]
    case["exam"]["sensory"] = [{"distribution": "dermatomal", "root": "L5", "side": "left"}]
    case["exam"]["stridor"] = False
    case["imaging"][0]["findings"][0].update({"comparator": ">", "value": 1, "unit": "mm"})
    assert api.post(f"/api/patients/{pid}/assess", json=case).status_code == 200
    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
    form = browser.get(f"/cases/{case_id}/edit.json").json()
    items = [(k, x) for k, v in form["values"].items() for x in (v if isinstance(v, list) else [v])]
    data, _ = unflatten(items)
    stored = api.get(f"/api/cases/{case_id}/versions/1").json()["data"]
    assert data["exam"]["motor"] == [{"myotome": "L5", "side": "left", "mrc": 4, "new_since_surgery": True}]
    assert data["exam"]["sensory"] == stored["exam"]["sensory"]
    assert data["exam"]["stridor"] is False and data["symptoms"]["denied"] == ["fever"]
    assert data["imaging"][0]["findings"][0]["comparator"] == ">"
    page = browser.get(f"/cases/{case_id}/edit")
    assert page.status_code == 200 and 'name="exam.motor[0].myotome"' in page.text


def test_patient_search_finds_by_name_and_mrn(browser, api):
    new_patient(api, "Ada Lovelace", "MRN-100")
    new_patient(api, "Grace Hopper", "MRN-200")
    by_name = browser.get("/patients.json", params={"q": "lovel"}).json()
    assert [p["display_name"] for p in by_name["patients"]] == ["Ada Lovelace"]
    by_mrn = browser.get("/patients.json", params={"q": "mrn-200"}).json()
    assert [p["display_name"] for p in by_mrn["patients"]] == ["Grace Hopper"]
    assert browser.get("/patients.json", params={"q": "%"}).json()["total"] == 0
    assert "Ada Lovelace" in browser.get("/patients", params={"q": "ada"}).text


def test_create_patient_form_validates_beside_the_field(browser, env):
    token = csrf_from(browser.get("/patients/new").text)
    r = browser.post("/patients", data={"csrf_token": token, "display_name": "", "birth_date": "31/12/1950"})
    assert r.status_code == 422
    assert "use the form YYYY-MM-DD" in r.text
    ok = browser.post("/patients", data={"csrf_token": token, "display_name": "New Person", "birth_date": "1950-12-31"})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/patients/")


def test_unknown_page_is_a_404_in_the_error_shape(browser):
    r = browser.get("/nothing-here.json")
    assert r.status_code == 404
    assert r.json()["ok"] is False and r.json()["status"] == 404
    html = browser.get("/patients/999999")
    assert html.status_code == 404 and "Not found" in html.text


def test_html_errors_keep_the_navigation_for_a_signed_in_user(browser):
    r = browser.get("/assessments/424242")
    assert r.status_code == 404
    assert "Log out" in r.text and "assessment 424242 not found" in r.text
    bad = browser.get("/patients", params={"page": "0"})
    assert bad.status_code == 422 and "page" in bad.text


def test_favicon_and_head_login_answer(anon):
    r = anon.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
    assert anon.head("/login").status_code == 200


def test_handout_carries_the_clinic_print_button_and_right_plurals(tmp_path, pack, api, examples):
    import json

    from fastapi.testclient import TestClient

    from .conftest import login, make_env

    env = make_env(tmp_path / "clinic", pack, clinic_name="Spine Clinic North", clinic_contact="call 555 0100")
    with TestClient(env.app, follow_redirects=False) as c, TestClient(
            env.app, headers={"Authorization": f"Bearer {env.token}"}) as token_client:
        login(c, "alice")
        pid = new_patient(token_client)
        r = token_client.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
        aid = r.headers["X-Revspine-Assessment-Id"]
        page = c.get(f"/assessments/{aid}/handout").text
    env.db.dispose()
    assert "Spine Clinic North" in page and "call 555 0100" in page
    assert "data-print" in page and "Print this page" in page
    assert "(s)" not in page


def test_patient_list_triages_with_sort_and_filters(browser, api, examples):
    import json

    flagged = new_patient(api, "Flag Patient")
    api.post(f"/api/patients/{flagged}/assess",
             json=json.loads(next(p for p in examples if p.stem.startswith("07")).read_text()))
    calm = new_patient(api, "Calm Patient")
    api.post(f"/api/patients/{calm}/assess",
             json=json.loads(next(p for p in examples if p.stem.startswith("01")).read_text()))
    new_patient(api, "New Patient")
    page = browser.get("/patients").text
    assert "4 red flags" in page and "Not yet: work-up first" in page and "not assessed" in page
    by_flags = browser.get("/patients.json?sort=red_flags").json()["patients"]
    assert [p["display_name"] for p in by_flags][0] == "Flag Patient"
    assert by_flags[0]["red_flags"] == 4 and by_flags[0]["next_step"] and by_flags[0]["age"]
    only = browser.get("/patients.json?flags=yes").json()
    assert [p["display_name"] for p in only["patients"]] == ["Flag Patient"] and only["total"] == 1
    urgent = browser.get("/patients.json?decision=urgent&q=flag").json()["patients"]
    assert [p["display_name"] for p in urgent] == ["Flag Patient"]
    assert browser.get("/patients.json?decision=revision").json()["total"] == 0
    by_name = [p["display_name"] for p in browser.get("/patients.json?sort=name").json()["patients"]]
    assert by_name == sorted(by_name)


def test_compare_page_speaks_clinically_and_draws_the_questionnaire_trends(browser, api, examples):
    """Three visits of one patient with ODI and back-pain NRS: the compare page trends them over every
    assessment up to the later one, and lists the case changes in words (JSON paths in the trace only)."""
    import re

    pid = new_patient(api, "Trend Person")
    base = json.loads(examples[0].read_text())
    ids = []
    for day, odi, nrs in (("2026-01-10", 48, 8), ("2026-03-20", 40, 6), ("2026-06-05", 24, 3)):
        case = {**base, "questionnaires": {"odi": odi, "nrs_back": nrs, "date": day}}  # completed on `day`
        r = api.post(f"/api/patients/{pid}/assess", json=case)
        assert r.status_code == 200, r.text
        ids.append(r.headers["X-Revspine-Assessment-Id"])
    twin = browser.get(f"/patients/{pid}/compare.json?a={ids[0]}&b={ids[2]}").json()["diff"]
    odi = next(t for t in twin["trends"] if t["instrument"] == "odi")
    assert [p["total"] for p in odi["points"]] == [48, 40, 24] and odi["direction"] == "improved"
    assert any(t["instrument"].startswith("nrs") for t in twin["trends"])
    changes = {c["label"]: (c["old"], c["new"]) for c in twin["case_changes"]}
    assert changes["Questionnaires › ODI (%)"] == ("48", "24")
    # compared with the second visit, the third visit is not in the trend
    earlier = browser.get(f"/patients/{pid}/compare.json?a={ids[0]}&b={ids[1]}").json()["diff"]
    assert [p["total"] for p in next(t for t in earlier["trends"] if t["instrument"] == "odi")["points"]] == [48, 40]
    page = browser.get(f"/patients/{pid}/compare?a={ids[0]}&b={ids[2]}").text
    assert "Questionnaires over time" in page and "Questionnaires › ODI (%)" in page
    shown = re.sub(r'<(span|div|ul|p)[^>]*class="[^"]*rs-(trace|rule|inputs)[^"]*"[^>]*>.*?</\1>', "", page,
                   flags=re.S)
    assert "questionnaires.odi" in page and "questionnaires.odi" not in shown

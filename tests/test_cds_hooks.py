"""The services: when cards come, what they say, prefetch / FHIR fallback / 412, feedback, CORS."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from revspine.cdshooks.service import ORDER, ORDER_SELECT, ORDER_SIGN, PATIENT_VIEW

from .cds_support import ClientKeys, call, card_problems, hook_request, make_app, prefetch_for, searchset
from .fhir_samples import CPT, PID, SUBJ, fbss_resources

FHIR = "https://fhir.ehr.test/r4"


def _draft(*requests: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in requests]}


def _order(oid: str, system: str, code: str) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": oid, "status": "draft", "intent": "order", "subject": SUBJ,
            "code": {"coding": [{"system": system, "code": code}]}}


SURGERY = _order("sr-revision", CPT, "22633")
LUMBAR_MRI = _order("sr-mri", CPT, "72158")  # without then with contrast
KNEE = _order("sr-knee", "http://loinc.org", "36801-9")


def test_discovery_lists_the_services_per_spec():
    app, _ = make_app()
    r = call(app, "GET", "/cds-services")
    services = r.json()["services"]
    assert [(s["hook"], s["id"]) for s in services] == [
        ("patient-view", PATIENT_VIEW), ("order-select", ORDER_SELECT), ("order-sign", ORDER_SIGN)]
    # clients key services by id (the Sandbox kept one of two entries sharing an id): ids are unique
    assert len({s["id"] for s in services}) == len(services)
    for s in services:
        assert s["description"] and s["title"] and s["usageRequirements"]
        assert set(s["prefetch"]) >= {"patient", "conditions", "procedures", "observations", "medications"}
        assert all("{{context.patientId}}" in q for q in s["prefetch"].values())
    assert card_problems({"cards": []}) == []


def test_patient_view_summary_card():
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(fbss_resources())))
    assert r.status_code == 200
    body = r.json()
    assert card_problems(body) == []
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("After spine surgery")
    assert "Infection" in card["summary"]  # CRP 12 mg/L and ESR 35 mm/h beyond their expected fall
    assert "knowledge revspine-core" in card["source"]["topic"]["display"]
    assert "Decision support" in card["detail"] and "[wr_" in card["detail"]
    link = card["links"][0]
    assert link["type"] == "absolute" and link["url"].startswith("https://cds.test/assessments/")
    saved = call(app, "GET", link["url"].removeprefix("https://cds.test"))
    assert saved.status_code == 200 and saved.json()["assessment"]["versions"]["knowledge_id"] == "revspine-core"
    assert saved.json()["source"]["hook"] == "patient-view"
    assert {o["code"] for o in card["overrideReasons"]} >= {"already-done", "not-indicated"}


def test_patient_view_no_card_without_prior_spine_surgery():
    resources = [r for r in fbss_resources() if r["resourceType"] not in ("Procedure", "Condition")]
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(resources)))
    assert r.status_code == 200 and r.json() == {"cards": []}


def test_patient_view_no_card_without_pain_after_surgery():
    resources = [r for r in fbss_resources() if r["resourceType"] != "Condition"]
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(resources)))
    assert r.json() == {"cards": []}


def test_order_sign_revision_surgery_cards():
    app, _ = make_app()
    body = hook_request("order-sign", PID, prefetch_for(fbss_resources()), encounterId="enc-9",
                        draftOrders=_draft(SURGERY))
    r = call(app, "POST", f"/cds-services/{ORDER}", json=body)
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert card_problems(r.json()) == []
    summaries = [c["summary"] for c in cards]
    workup = next(c for c in cards if "work-up" in c["summary"])
    risks = next(c for c in cards if c["summary"].startswith("Risks not optimised"))
    assert "Current smoking" in risks["summary"] and risks["indicator"] == "warning"
    assert workup["indicator"] == "warning" and workup["selectionBehavior"] == "any"
    created = [a["resource"] for s in workup["suggestions"] for a in s["actions"]]
    assert all(a["resourceType"] == "ServiceRequest" and a["status"] == "draft" for a in created)
    assert all(a["subject"] == {"reference": f"Patient/{PID}"} for a in created)
    assert all(a["encounter"] == {"reference": "Encounter/enc-9"} for a in created)
    # (CT is no longer suggested here: no finding supports non-union or hardware failure over the other causes,
    # so they are no longer among the leading causes the work-up rules read; see docs/reasoning.md.)
    assert created and all(a["code"]["text"] for a in created)
    assert any(c.get("system") == CPT for a in created for c in a["code"].get("coding", []))
    assert any(s.startswith("revspine:") for s in summaries)


def test_order_select_lumbar_mri_counts_as_the_contrast_mri(pack):
    app, _ = make_app()
    body = hook_request("order-select", PID, prefetch_for(fbss_resources()), selections=["ServiceRequest/sr-mri"],
                        draftOrders=_draft(LUMBAR_MRI, SURGERY))
    r = call(app, "POST", f"/cds-services/{ORDER}", json=body)
    cards = r.json()["cards"]
    assert card_problems(r.json()) == []
    assert not any(c["summary"].startswith("Risks not optimised") for c in cards)  # imaging, not surgery
    workup = next(c for c in cards if "work-up" in c["summary"])
    labels = [s["label"] for s in workup["suggestions"]]
    assert "Order MRI with and without gadolinium" not in labels  # the selected order is that MRI
    assert labels and all(label.startswith("Order ") for label in labels)
    assert "This order covers: mri_contrast" in workup["detail"]


@pytest.mark.parametrize("orders", [(KNEE,), ()])
def test_orders_outside_the_value_sets_give_no_cards(orders):
    app, _ = make_app()
    body = hook_request("order-sign", PID, None, draftOrders=_draft(*orders))  # no data needed: no fetch, no 412
    r = call(app, "POST", f"/cds-services/{ORDER}", json=body)
    assert r.status_code == 200 and r.json() == {"cards": []}


def _fhir_server(resources: list[dict[str, Any]], seen: list[httpx.Request], page_size: int = 3):
    by_type: dict[str, list[dict[str, Any]]] = {}
    for res in resources:
        by_type.setdefault(res["resourceType"], []).append(res)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not str(request.url).startswith(FHIR):
            raise AssertionError(f"request left the FHIR server: {request.url}")
        path = request.url.path.removeprefix("/r4/")
        if path == f"Patient/{PID}":
            return httpx.Response(200, json=by_type["Patient"][0])
        items = by_type.get(path, [])
        page = int(request.url.params.get("_page", "0"))
        chunk = items[page * page_size:(page + 1) * page_size]
        bundle = searchset(chunk)
        if (page + 1) * page_size < len(items):
            bundle["link"] = [{"relation": "next", "url": f"{FHIR}/{path}?patient={PID}&_page={page + 1}"}]
        return httpx.Response(200, json=bundle)

    return httpx.MockTransport(handler)


def test_fhir_server_fallback_with_pagination():
    seen: list[httpx.Request] = []
    app, _ = make_app(fhir=_fhir_server(fbss_resources(), seen))
    body = hook_request("patient-view", PID)
    body.update(fhirServer=FHIR, fhirAuthorization={"access_token": "secret-access", "token_type": "Bearer",
                                                    "expires_in": 300, "scope": "user/*.read", "subject": "revspine"})
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=body)
    assert r.status_code == 200 and len(r.json()["cards"]) == 1
    assert all(req.headers["authorization"] == "Bearer secret-access" for req in seen)
    assert any("_page=1" in str(req.url) for req in seen)  # the next page was read
    assert "secret-access" not in r.text


def test_partial_prefetch_completed_from_server():
    seen: list[httpx.Request] = []
    app, _ = make_app(fhir=_fhir_server(fbss_resources(), seen))
    pre = prefetch_for(fbss_resources())
    del pre["procedures"]
    pre["observations"] = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    body = hook_request("patient-view", PID, pre)
    body.update(fhirServer=FHIR, fhirAuthorization={"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                                    "scope": "user/*.read", "subject": "revspine"})
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=body)
    assert r.status_code == 200 and r.json()["cards"]
    fetched = {req.url.path.rsplit("/", 1)[-1] for req in seen}
    assert fetched == {"Procedure", "Observation"}


def test_412_without_prefetch_or_fhir_access():
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID))
    assert r.status_code == 412
    assert "patient" in r.json()["issue"][0]["diagnostics"]


def test_token_not_sent_to_plain_http_fhir_server():
    seen: list[httpx.Request] = []
    app, _ = make_app(fhir=_fhir_server(fbss_resources(), seen))
    body = hook_request("patient-view", PID)
    body.update(fhirServer="http://fhir.ehr.test/r4", fhirAuthorization={
        "access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read", "subject": "x"})
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=body)
    assert r.status_code == 412 and seen == []


def test_null_prefetch_means_no_data():
    pre = prefetch_for(fbss_resources())
    pre["medications"] = None
    pre["allergies"] = None
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID, pre))
    assert r.status_code == 200 and r.json()["cards"]


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda b: b.update(hook="order-sign"), 400),
        (lambda b: b["context"].pop("patientId"), 400),
        (lambda b: b.pop("context"), 400),
        (lambda b: b["prefetch"]["conditions"].update(entry=[{"resource": {"resourceType": "Condition",
                                                                           "code": "bad"}}]), 422),
        (lambda b: b.update(fhirAuthorization={"access_token": "x", "token_type": "Bearer", "expires_in": 1,
                                               "scope": "s", "subject": "s"}), 400),
    ],
)
def test_bad_requests_are_4xx_with_operation_outcome(mutate, status):
    body = hook_request("patient-view", PID, prefetch_for(fbss_resources()))
    mutate(body)
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=body)
    assert r.status_code == status and r.json()["resourceType"] == "OperationOutcome"


def test_unknown_service_and_bad_json():
    app, _ = make_app()
    assert call(app, "POST", "/cds-services/nope", json={}).status_code == 404
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", content=b"{oops",
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_feedback_stored_idempotent_with_reasons():
    keys = ClientKeys()
    app, store = make_app(keys)
    aud = f"https://cds.test/cds-services/{PATIENT_VIEW}"
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", json=hook_request("patient-view", PID,
                                                                                prefetch_for(fbss_resources())),
             headers={"Authorization": f"Bearer {keys.token(aud)}"})
    card = r.json()["cards"][0]
    fb = {"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z",
         "overrideReason": {"reason": card["overrideReasons"][0], "userComment": "done at the other hospital"}},
    ]}
    url = f"/cds-services/{PATIENT_VIEW}/feedback"
    for _ in range(2):
        ok = call(app, "POST", url, json=fb, headers={"Authorization": f"Bearer {keys.token(aud + '/feedback')}"})
        assert ok.status_code == 200
    assert len(store.items) == 1
    item = store.items[0]
    assert item["outcome"] == "overridden" and item["overrideReason"]["reason"]["code"] == "already-done"
    assert item["issued"]["summary"] == card["summary"] and item["client"]["iss"] == "https://ehr.test"
    # the service's own token is not valid for its feedback endpoint
    denied = call(app, "POST", url, json=fb, headers={"Authorization": f"Bearer {keys.token(aud)}"})
    assert denied.status_code == 401


def test_feedback_accepted_needs_suggestions():
    app, store = make_app()
    url = f"/cds-services/{ORDER}/feedback"
    bad = {"feedback": [{"card": "c1", "outcome": "accepted", "outcomeTimestamp": "2026-11-22T10:00:00Z"}]}
    assert call(app, "POST", url, json=bad).status_code == 400
    good = copy.deepcopy(bad)
    good["feedback"][0]["acceptedSuggestions"] = [{"id": "s1"}]
    assert call(app, "POST", url, json=good).status_code == 200 and len(store.items) == 1


@pytest.mark.parametrize("path", ["/cds-services", f"/cds-services/{PATIENT_VIEW}",
                                  f"/cds-services/{PATIENT_VIEW}/feedback"])
def test_cors_preflight(path):
    app, _ = make_app(ClientKeys(), cors_origins=["https://sandbox.test"])
    r = call(app, "OPTIONS", path, headers={"Origin": "https://sandbox.test", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 204  # no token needed for a preflight
    assert r.headers["access-control-allow-origin"] == "https://sandbox.test"
    assert {h.strip() for h in r.headers["access-control-allow-headers"].split(",")} == {"Authorization",
                                                                                         "Content-Type"}
    assert "POST" in r.headers["access-control-allow-methods"]
    other = call(app, "OPTIONS", path, headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in other.headers
    denied = call(app, "GET", "/cds-services", headers={"Origin": "https://sandbox.test"})
    assert denied.status_code == 401 and denied.headers["access-control-allow-origin"] == "https://sandbox.test"


@pytest.mark.parametrize(("service", "hook"), [(ORDER_SELECT, "order-select"), (ORDER_SIGN, "order-sign"),
                                               (ORDER, "order-select"), (ORDER, "order-sign")])
def test_each_order_service_answers_its_hook_and_the_old_id_is_an_alias(service, hook):
    app, _ = make_app()
    body = hook_request(hook, PID, prefetch_for(fbss_resources()), draftOrders=_draft(SURGERY),
                        selections=["ServiceRequest/sr-revision"])
    r = call(app, "POST", f"/cds-services/{service}", json=body)
    assert r.status_code == 200 and r.json()["cards"], r.text[:300]
    other = "order-sign" if hook == "order-select" else "order-select"
    if service != ORDER:
        wrong = call(app, "POST", f"/cds-services/{service}", json={**body, "hook": other})
        assert wrong.status_code == 400


def test_evidence_links_point_to_evidence_not_to_a_practice_page():
    from revspine.cdshooks.cards import evidence_url
    from revspine.knowledge import load_pack

    pack = load_pack()
    assert evidence_url(pack, "AtharFBSS") is None  # patient information on a practice's appointment page
    for cid, c in pack.citations.items():
        url = evidence_url(pack, cid)
        if url is not None:
            assert c.quality == "primary" and url.startswith("https://")
            assert "appointment" not in url
        if c.pmid and c.quality == "primary":
            assert url == f"https://pubmed.ncbi.nlm.nih.gov/{c.pmid}/"


def test_the_shipped_post_fusion_patient_fires_the_patient_view_card():
    """examples/fhir/post-fusion-patient.json (load it into the FHIR server the Sandbox uses) is a patient
    after a lumbar fusion with pain: the patient-view service answers a card for it."""
    import json
    from pathlib import Path

    import revspine

    bundle = json.loads((Path(revspine.__file__).parent / "examples/fhir/post-fusion-patient.json").read_text())
    assert bundle["type"] == "transaction" and all(e["request"]["method"] == "PUT" for e in bundle["entry"])
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    app, _ = make_app()
    r = call(app, "POST", f"/cds-services/{PATIENT_VIEW}",
             json=hook_request("patient-view", patient, prefetch_for(resources)))
    assert r.status_code == 200 and len(r.json()["cards"]) == 1


def test_a_questionnaire_safety_alert_comes_first_on_the_patient_view_card(pack):
    # PHQ-9 item 9 above 0 needs action today: the card says so first and is at least a warning.
    import json

    from revspine import assess, parse_case
    from revspine.cdshooks.cards import CardContext, summary_card
    from revspine.cli.main import example_paths
    from revspine.fhir.report import MappingReport

    data = json.loads(next(p for p in example_paths() if p.name.startswith("12_")).read_text())
    data["instrument_responses"] = [{"instrument": "phq9", "date": data["assessment_date"],
                                     "items": [2, 2, 2, 2, 1, 1, 1, 1, 2]}]
    a = assess(parse_case(data, pack), pack)
    card = summary_card(CardContext(a, MappingReport(source="test"), pack, PID, None, None, None, [], []))
    assert card["indicator"] in {"warning", "critical"}
    assert card["summary"].startswith("After spine surgery: safety alert")
    assert card["detail"].startswith("**Safety alert**") and "suicide risk" in card["detail"]

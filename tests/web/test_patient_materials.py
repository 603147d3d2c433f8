"""The patient handout (HTML and PDF) and the question box, reached from the assessment page."""

from __future__ import annotations

import io
import json
import re

from pypdf import PdfReader

from revspine.storage import audit
from revspine.web.contexts import AskContext

from .conftest import new_patient


def _assessment(api, examples, name="Handout Person"):
    pid = new_patient(api, name)
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[0].read_text()))
    assert r.status_code == 200, r.text
    return r.headers["X-Revspine-Assessment-Id"]


def test_assessment_page_links_the_handout_and_offers_the_question_box(browser, api, examples):
    aid = _assessment(api, examples)
    page = browser.get(f"/assessments/{aid}").text
    assert f'href="/assessments/{aid}/handout"' in page
    assert f'action="/assessments/{aid}/ask"' in page


def test_handout_html_and_pdf_are_for_this_patient_and_audited(env, browser, api, examples):
    aid = _assessment(api, examples, "Handout Person")
    html = browser.get(f"/assessments/{aid}/handout")
    assert html.status_code == 200 and "Handout Person" in html.text and "<script>" not in html.text
    assert re.findall(r"<script[^>]*>", html.text) == ['<script src="/static/app.js" defer>']  # the print button
    pdf = browser.get(f"/assessments/{aid}/handout.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Handout Person" in text
    with env.db.read() as s:
        formats = [r.detail.get("format") for r in audit.list_audit(s, object_type="assessment", object_id=int(aid))
                   if r.action == "export"]
    assert {"handout", "handout-pdf"} <= set(formats)


def test_question_box_answers_recovery_with_sources_and_a_json_twin(browser, api, examples):
    aid = _assessment(api, examples)
    q = "how long will it take me to recover after the operation"
    page = browser.get(f"/assessments/{aid}/ask", params={"q": q})
    assert page.status_code == 200 and "You asked" in page.text
    twin = browser.get(f"/assessments/{aid}/ask.json", params={"q": q})
    body = twin.json()
    assert set(body) == set(AskContext.model_fields)
    best = body["found"]["matches"][0]
    assert body["found"]["found"] and "recover" in (best["question"] + best["answer"]).lower()
    assert best["citations"]


def test_empty_question_is_422_naming_q(browser, api, examples):
    aid = _assessment(api, examples)
    r = browser.get(f"/assessments/{aid}/ask.json", params={"q": ""})
    assert r.status_code == 422 and any("q" in e["path"] for e in r.json()["errors"])

"""Hostile text in the case (case_id, notes) or from the caller (patient label) is shown, never run."""

from __future__ import annotations

import json

from markupsafe import escape

from revspine import assess, parse_case
from revspine.report import assessment_pdf, report_html
from revspine.views import build_assessment_view, compare_assessments, render

from ..conftest import TODAY
from .conftest import CASES

SCRIPT = '<script>alert("case")</script>'
IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><svg onload=alert(2)>'


def _hostile(pack):
    raw = json.loads((CASES / "infection_red_flags.json").read_text())
    raw["case_id"] = SCRIPT
    raw["notes"] = f"{IMG}\n{BREAKOUT} & </textarea></style>"
    case = parse_case(raw, pack, today=TODAY)
    a = assess(case, pack)
    return case, a, build_assessment_view(a, case, patient_label=BREAKOUT, assessment_id=SCRIPT, pack=pack)


def _assert_inert(doc: str) -> None:
    for bad in (SCRIPT, IMG, BREAKOUT, "<svg onload", "</textarea>"):
        assert bad not in doc
    assert str(escape(SCRIPT)) in doc and str(escape(IMG)) in doc and str(escape(BREAKOUT)) in doc


def test_page_escapes_case_id_notes_and_patient_label(pack):
    _, _, view = _hostile(pack)
    page = render("_assessment.html", view=view)
    _assert_inert(page)
    assert page.count("<script") == 0


def test_report_escapes_and_the_pdf_still_renders(pack):
    _, _, view = _hostile(pack)
    doc = report_html(view)
    _assert_inert(doc)
    # The only <style> element is the stylesheet; the hostile "</style>" did not close it early.
    assert doc.count("<style>") == 1 and doc.count("</style>") == 1
    assert assessment_pdf(view).startswith(b"%PDF-")


def test_comparison_escapes_case_changes(pack):
    case, a, _ = _hostile(pack)
    clean = parse_case(json.loads((CASES / "infection_red_flags.json").read_text()), pack, today=TODAY)
    diff = compare_assessments(assess(clean, pack), a, old_case=clean, new_case=case)
    page = render("_compare.html", diff=diff)
    assert SCRIPT not in page and IMG not in page
    assert str(escape(IMG)) in page

"""The plan and follow-up sections on the page and in the PDF: alignment, revision plan, order set,
instruments with their safety alerts, and the explanation for the patient."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from pypdf import PdfReader

from revspine.cli.main import example_paths
from revspine.report import assessment_pdf
from revspine.views import render
from revspine.views.labels import PLAN_SECTION_TITLES, SAFETY_TITLE

from .conftest import CASES, Built, build


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _squash(s: str) -> str:
    """Compare without spaces: PDF text extraction splits and joins words at line ends."""
    return re.sub(r"\s+", "", s)


def _esc(s: str) -> str:
    """As the templates escape it (Jinja: & < > ' ")."""
    return str(escape(s))


def _example(name: str) -> str:
    return next(str(p) for p in example_paths() if p.stem == name)


@pytest.fixture(scope="module")
def sagittal(pack) -> Built:
    from pathlib import Path

    return build(Path(_example("10_sagittal_imbalance")), pack, patient_label="Clinic 2", assessment_id="10")


@pytest.fixture(scope="module")
def flatback(pack) -> Built:
    return build(CASES / "plan_flatback_130kg_phq9.json", pack, patient_label="Clinic 3", assessment_id="11")


@pytest.fixture(scope="module")
def allergic(pack) -> Built:
    return build(CASES / "plan_allergic_inconsistent.json", pack, patient_label="Clinic 4", assessment_id="12")


@pytest.fixture(scope="module")
def sagittal_pdf(sagittal: Built) -> str:
    return _pdf_text(assessment_pdf(sagittal.view))


@pytest.fixture(scope="module")
def flatback_pdf(flatback: Built) -> str:
    return _pdf_text(assessment_pdf(flatback.view))


# -- order and presence ----------------------------------------------------------------------


def test_plan_sections_follow_the_decision_and_appear_only_when_present(built_cases: list[Built]):
    attrs = {"alignment": "alignment", "revision-plan": "revision_plan", "order-set": "order_set",
             "instruments": "instruments", "patient": "patient"}
    seen = set()
    for b in built_cases:
        ids = [s.id for s in b.view.sections]
        for sid, attr in attrs.items():
            present = getattr(b.view, attr) is not None
            assert (sid in ids) == present == (getattr(b.assessment, attr) is not None), (b.name, sid)
            if present:
                seen.add(sid)
                assert ids.index("decision") < ids.index(sid) < ids.index("uncertainties")
        page = render("_assessment.html", view=b.view)
        assert re.findall(r'<section id="([a-z-]+)"', page) == ["bottom-line", *ids], b.name
    assert seen == set(PLAN_SECTION_TITLES), "the fixtures show every plan section somewhere"


# -- sagittal alignment ----------------------------------------------------------------------


def test_alignment_example_shows_schwab_grades_every_formula_and_the_drawings(sagittal: Built):
    al = sagittal.view.alignment
    assert al is not None and al.status == "complete"
    page = render("_assessment.html", view=sagittal.view)
    section = page[page.index('<section id="alignment"'):page.index('<section id="revision-plan"')]
    assert [m.grade for m in al.modifiers] == ["++", "++", "++"]  # PI-LL 34, SVA 112 mm, PT 33 (example 10)
    for m in al.modifiers:
        assert f'aria-label="Schwab grade {m.grade}">{_esc(m.grade)}</span> {_esc(m.grade_label)}' in section
        assert _esc(m.label) in section and _esc(m.boundary_note) in section
    assert len(al.targets) >= 5
    for t in al.targets:
        assert _esc(t.label) in section, t.formula
        assert f'<code class="rs-formula">{_esc(t.expression)}</code>' in section, t.formula
        assert _esc(t.population) in section, t.formula
    # the targets disagree, and the page says by how much
    assert al.correction is not None and _esc(al.correction.statement) in section
    assert al.correction.spread_deg > 0
    # the sagittal profile (drawn by the view builder) and the targets chart, inline, no script
    assert al.profile_svg is not None and al.profile_svg in section
    assert section.count("<svg") == 2 and "<script" not in section
    assert 'aria-labelledby="lordosis-title lordosis-desc"' in section
    for t in al.targets:
        if t.status == "computed":
            chart = section[section.index('class="rs-lordosis-chart"'):]
            assert _esc(t.label[:20]) in chart
    for o in al.osteotomies:
        assert _esc(o.correction_per_level) in section


def test_alignment_example_pdf_has_the_grades_and_every_formula(sagittal: Built, sagittal_pdf: str):
    al = sagittal.view.alignment
    assert al is not None
    flat = _squash(sagittal_pdf)
    assert "Sagittal alignment" in sagittal_pdf and "SRS-Schwab sagittal modifiers" in sagittal_pdf
    for m in al.modifiers:
        assert _squash(f"{m.grade} {m.grade_label}") in flat
    for t in al.targets:
        assert _squash(t.label) in flat, t.formula
        assert _squash(t.expression) in flat, t.formula
        assert _squash(t.population[:60]) in flat, t.formula
    assert _squash(al.correction.statement) in flat if al.correction else False
    assert _squash("current LL 28°") in flat, "the targets chart is in the PDF"


def test_inconsistent_alignment_is_reported_and_not_drawn(allergic: Built):
    al = allergic.view.alignment
    assert al is not None and al.status == "inconsistent"
    page = render("_assessment.html", view=allergic.view)
    section = page[page.index('<section id="alignment"'):page.index('<section id="revision-plan"')]
    assert al.warnings and all(f"<strong>Check:</strong> {_esc(w)}" in section for w in al.warnings)
    assert al.profile_svg is None and "sagittal-title" not in section
    assert _esc(al.profile_caption) in section and "inconsistent" in al.profile_caption
    assert 'class="rs-consistency is-bad"' in section
    withheld = [t for t in al.targets if t.status == "withheld"]
    assert withheld, "targets resting on PI are withheld"
    assert all('rs-target--withheld' in section for _ in withheld)


# -- safety alerts -------------------------------------------------------------------------


def test_phq9_item_9_alert_leads_the_page_beside_the_red_flags(flatback: Built):
    v = flatback.view
    assert [(a.instrument, a.item, a.answer) for a in v.safety_alerts] == [("phq9", 9, 1.0)]
    alert = v.safety_alerts[0]
    assert alert.citations and alert.message in flatback.assessment.instruments.alerts
    page = render("_assessment.html", view=v)
    first = page.index('<section id="')
    assert page.index('<section id="bottom-line"') == first
    red = page.index('<section id="red-flags"')
    section = page[red:page.index('<section id="timing"')]
    assert f"<h2 id=\"h-red-flags\">{SAFETY_TITLE}</h2>" in section
    assert '<div class="rs-flag rs-flag--safety" role="alert">' in section
    assert _esc(alert.message) in section
    assert "item 9 answered 1" in section
    # the bottom line leads with it, before the decision
    bottom = page[first:red]
    assert _esc(alert.message) in bottom and bottom.index("SAFETY") < bottom.index('id="bl-decision"')
    assert "has-safety-alerts" in page[:page.index("<header")]
    # and the instruments section repeats it next to the score
    inst = page[page.index('<section id="instruments"'):]
    assert _esc(alert.message) in inst and 'id="score-phq9" class="rs-score-row is-alert"' in inst


def test_phq9_alert_is_at_the_top_of_the_pdf(flatback: Built, flatback_pdf: str):
    msg = flatback.view.safety_alerts[0].message
    flat = _squash(flatback_pdf)
    at = flat.index(_squash(msg))
    assert at < flat.index(_squash("Timing")) and at < flat.index(_squash("Differential diagnosis"))
    assert flatback_pdf.index(SAFETY_TITLE) < flatback_pdf.index("Timeline")


def test_no_alert_no_safety_title(sagittal: Built):
    assert sagittal.view.safety_alerts == []
    page = render("_assessment.html", view=sagittal.view)
    assert SAFETY_TITLE not in page and "rs-flag--safety" not in page


# -- order set -------------------------------------------------------------------------------


def test_130_kg_patient_gets_cefazolin_3_g_on_the_page_and_in_the_pdf(flatback: Built, flatback_pdf: str):
    o = flatback.view.order_set
    assert o is not None
    cef = next(line for line in o.lines if line.item == "abx_cefazolin")
    assert (cef.dose_amount, cef.dose_unit) == (3.0, "g")
    assert cef.dose_text == "3 g IV (weight 130 kg, at or above 120 kg)"
    page = render("_assessment.html", view=flatback.view)
    row = page[page.index('id="order-abx_cefazolin"'):]
    row = row[:row.index("</tr>")]
    assert '<div class="rs-dose"><strong>3 g</strong> IV</div>' in row
    assert f'<div class="rs-working">{_esc(cef.dose_text)}</div>' in row
    for part in (cef.timing, cef.redosing, cef.duration):
        assert part and _esc(part) in row
    flat = _squash(flatback_pdf)
    assert _squash("Cefazolin prophylaxis") in flat
    assert _squash("3 g IV (weight 130 kg, at or above 120 kg)") in flat


def test_allergic_patient_sees_alternatives_the_weight_warning_and_what_does_not_apply(allergic: Built):
    o = allergic.view.order_set
    assert o is not None
    page = render("_assessment.html", view=allergic.view)
    section = page[page.index('<section id="order-set"'):page.index('<section id="instruments"')]
    alternatives = [line for line in o.lines if line.choose_one_of]
    assert len(alternatives) >= 2 and "abx_cefazolin" not in [line.item for line in o.lines]
    assert section.count("alternatives: order one") == len(alternatives)
    vanc = next(line for line in o.lines if line.item == "abx_vancomycin_allergy")
    assert vanc.dose_amount is None and "weight not recorded" in (vanc.dose_text or "")
    assert '<strong class="rs-warn-text">dose needs the weight</strong>' in section
    assert o.warnings and all(f"<strong>Check:</strong> {_esc(w)}" in section for w in o.warnings)
    assert o.not_applicable and all(f"<li>{_esc(n)}</li>" in section for n in o.not_applicable)
    nutrition = next(line for line in o.lines if line.item == "nutrition_support")
    assert nutrition.reason and f"<strong>Why:</strong> {_esc(nutrition.reason)}" in section


# -- instruments and trends --------------------------------------------------------------------


def test_scores_show_band_working_and_trends_with_mcid_pass_and_drawing(flatback: Built):
    ins = flatback.view.instruments
    assert ins is not None
    page = render("_assessment.html", view=flatback.view)
    section = page[page.index('<section id="instruments"'):page.index('<section id="patient"')]
    odi = next(s for s in ins.scores if s.instrument == "odi")
    assert odi.missing_items == [8] and odi.working
    assert _esc(odi.working) in section and "unanswered: item 8" in section and _esc(odi.band) in section
    sbt = next(s for s in ins.scores if s.instrument == "start_back")
    assert [x.name for x in sbt.subscales] == ["psychosocial"]
    assert {t.instrument for t in ins.trends} == {"odi", "nrs_back"}
    for t in ins.trends:
        block = section[section.index(f'id="trend-{t.instrument}"'):]
        assert t.svg is not None and block.index(t.svg) >= 0
        assert _esc(t.summary) in block
        assert block.count("<td class=\"rs-num\">") >= len(t.mcid)
        for m in t.mcid:
            assert _esc(m.population) in block
        if t.pass_threshold is not None:
            assert f"score at most {t.pass_threshold:g}" in block


def test_patient_explanation_and_answers(flatback: Built, sagittal: Built):
    for b in (flatback, sagittal):
        pt = b.view.patient
        assert pt is not None and pt.answers
        page = render("_assessment.html", view=b.view)
        section = page[page.index('<section id="patient"'):page.index('<section id="uncertainties"')]
        for s in pt.sections:
            assert f'<h4 id="patient-{s.id}">{_esc(s.heading)}</h4>' in section
            for p in s.paragraphs:
                assert f'<p data-source="{p.source}">{_esc(p.text)}</p>' in section
        assert section.count("<dt id=\"answer-") == len(pt.answers)
        assert section.count("for this patient</span>") == sum(a.personalised for a in pt.answers)
        assert "<form" not in section, "no question form unless the web app gives its URL"
    page = render("_assessment.html", view=flatback.view, question_action="/patients/3/ask")
    assert '<form class="rs-ask" method="get" action="/patients/3/ask">' in page
    printed = render("report.html", view=flatback.view, question_action="/patients/3/ask")
    assert "<form" not in printed


# -- the drawings are checked before they go on the page ------------------------------------------


@pytest.mark.parametrize("bad", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/x.png"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
    '<img src=x onerror=alert(1)>',
    '<svg xmlns="http://www.w3.org/2000/svg"></svg><script>alert(1)</script>',
])
def test_a_tampered_drawing_is_withheld(flatback: Built, bad: str):
    from revspine.views.render import SVG_WITHHELD

    data = flatback.view.model_dump(mode="json")
    data["alignment"]["profile_svg"] = bad
    data["instruments"]["trends"][0]["svg"] = bad
    page = render("_assessment.html", view=data)
    assert bad not in page and page.count(SVG_WITHHELD) == 2
    assert "<script" not in page and "onload=" not in page and "javascript:" not in page


def test_the_real_drawings_pass_the_check(built_cases: list[Built]):
    from revspine.views.render import inline_svg

    drawings = [b.view.alignment.profile_svg for b in built_cases if b.view.alignment and b.view.alignment.profile_svg]
    drawings += [t.svg for b in built_cases if b.view.instruments for t in b.view.instruments.trends if t.svg]
    assert len(drawings) >= 3
    for d in drawings:
        assert str(inline_svg(d)) == d


def test_pdf_has_every_section_heading_in_order(flatback: Built, flatback_pdf: str):
    positions = [flatback_pdf.find(s.title) for s in flatback.view.sections]
    assert -1 not in positions, [s.title for s, p in zip(flatback.view.sections, positions, strict=True) if p < 0]
    plan = [flatback_pdf.find(t) for t in PLAN_SECTION_TITLES.values()]
    assert plan == sorted(plan)


def test_pdf_writes_the_plan_citations_out(flatback: Built, flatback_pdf: str):
    flat = _squash(flatback_pdf)
    view = flatback.view
    plan_ids = set()
    for part in (view.alignment, view.revision_plan, view.order_set, view.instruments, view.patient):
        assert part is not None
        plan_ids |= set(part.citations)
    texts = {c.id: c.text for c in view.citations}
    assert plan_ids <= set(texts)
    for cid in sorted(plan_ids):
        assert _squash(texts[cid][:40]) in flat, cid

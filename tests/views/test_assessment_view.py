"""AssessmentView: documented, faithful to the Assessment, and fully shown by the template."""

from __future__ import annotations

import html
import re
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from revspine.views import AssessmentView, render
from revspine.views.labels import SECTION_TITLES
from revspine.views.reference import ROOTS, field_paths, models_in_order

from .conftest import Built


def test_every_field_of_every_view_model_has_a_description():
    missing = [
        f"{m.__name__}.{name}"
        for root in ROOTS
        for m in models_in_order(root)
        for name, f in m.model_fields.items()
        if not (f.description or "").strip()
    ]
    assert missing == []


def test_sections_follow_the_reading_order_of_the_brief():
    fields = list(AssessmentView.model_fields)
    order = ["red_flags", "timing", "timeline", "differential", "mimics", "labs", "workup", "risk_factors",
             "decision", "alignment", "revision_plan", "order_set", "instruments", "patient", "uncertainties",
             "versions", "citations"]
    assert [fields.index(f) for f in order] == sorted(fields.index(f) for f in order)
    assert [s.replace("-", "_") for s in SECTION_TITLES] == order
    assert fields.index("safety_alerts") < fields.index("red_flags"), "safety alerts lead, beside the red flags"


def test_page_sections_appear_in_the_order_of_the_view(infection: Built):
    page = render("_assessment.html", view=infection.view)
    ids = re.findall(r'<section id="([a-z-]+)"', page)
    assert ids == ["bottom-line", *(s.id for s in infection.view.sections)]


def test_view_keeps_the_assessments_conclusions(built_cases: list[Built]):
    for b in built_cases:
        a, v = b.assessment, b.view
        ranked = [(c.cause, c.rank, c.score) for c in a.differential]
        assert [(c.cause, c.rank, c.score) for c in v.differential] == ranked
        assert [(c.cause, c.rank) for c in v.mimics] == [(c.cause, c.rank) for c in a.mimics]
        for cv, ca in zip(v.differential, a.differential, strict=True):
            assert [(e.rule_id, e.factor, e.inputs) for e in cv.supporting] == [
                (e.rule_id, e.factor, e.inputs) for e in ca.supporting]
            assert [(e.rule_id, e.factor) for e in cv.opposing] == [(e.rule_id, e.factor) for e in ca.opposing]
        assert [w.test for w in v.workup] == [w.test for w in a.workup], "work-up stays in the engine's order"
        assert [w.order for w in v.workup] == list(range(1, len(a.workup) + 1))
        assert [w.test for w in v.workup_deferred] == [w.test for w in a.workup_deferred]
        assert {r.rule_id for r in v.red_flags} == {r.rule_id for r in a.red_flags}
        assert v.urgent == bool(a.red_flags)
        assert [(lab.test, lab.value, lab.status) for lab in v.labs] == [(r.test, r.value, r.status) for r in a.labs]
        assert v.decision.category == a.decision.category and v.decision.reasons == a.decision.reasons
        assert [c.id for c in v.citations] == sorted(a.citations)
        assert v.versions.model_dump() == a.versions.model_dump()


def test_emergencies_are_listed_before_urgent_flags(built_cases: list[Built]):
    for b in built_cases:
        levels = [r.urgency for r in b.view.red_flags]
        assert levels == sorted(levels, key=lambda u: u != "emergency")


def test_red_flags_lead_the_page_and_are_marked_urgent(infection: Built):
    page = render("_assessment.html", view=infection.view)
    assert 'class="rs-assessment is-urgent"' in page
    first_section = page.index('<section id="')
    assert page.index('<section id="bottom-line"') == first_section
    # within the bottom line, the red flags come first, then the decision, then the causes
    assert page.index('id="bl-flags"') < page.index('id="bl-decision"') < page.index('id="bl-causes"')
    bottom = page[first_section:page.index('<section id="red-flags"')]
    for r in infection.view.red_flags:
        assert html.escape(r.label, quote=False) in bottom
        assert html.escape(r.action, quote=False) in bottom
    for r in infection.view.red_flags:
        assert html.escape(r.label, quote=False) in page
        assert html.escape(r.action, quote=False) in page
    assert page.count('role="alert"') == len(infection.view.red_flags) == 4


# -- the template shows every documented field -------------------------------------------


class Recorder:
    """Wraps a view model; records every field path a template reads."""

    def __init__(self, obj: BaseModel, path: str, seen: set[str]):
        self._obj, self._path, self._seen = obj, path, seen

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in type(self._obj).model_fields:
            raise AttributeError(name)
        path = f"{self._path}.{name}" if self._path else name
        self._seen.add(path)
        return _wrap(getattr(self._obj, name), path, self._seen)


def _wrap(value: Any, path: str, seen: set[str]) -> Any:
    if isinstance(value, BaseModel):
        return Recorder(value, path, seen)
    if isinstance(value, list):
        return [_wrap(v, path + "[]", seen) for v in value]
    return value


def test_every_documented_field_is_rendered(built_cases: list[Built]):
    seen: set[str] = set()
    for b in built_cases:
        render("_assessment.html", view=Recorder(b.view, "", seen))
    assert field_paths(AssessmentView) - seen == set()


def test_model_and_its_json_render_the_same_page(built_cases: list[Built]):
    for b in built_cases:
        assert render("_assessment.html", view=b.view) == render(
            "_assessment.html", view=b.view.model_dump(mode="json")
        ), b.name


def _is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal or any(_is_literal(a) for a in get_args(tp))


def _free_text_leaves(model: BaseModel) -> list[str]:
    """Every string value of the view except enumerations (which the template turns into words)."""
    out: list[str] = []
    for name, f in type(model).model_fields.items():
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for v in items:
            if isinstance(v, BaseModel):
                out += _free_text_leaves(v)
            elif isinstance(v, str) and v and not _is_literal(f.annotation):
                out.append(v)
    return out


def _normalise(text: str) -> str:
    return " ".join(html.unescape(text).split())


def test_every_text_in_the_json_twin_is_on_the_page(built_cases: list[Built]):
    for b in built_cases:
        page = _normalise(render("_assessment.html", view=b.view))
        missing = [s for s in _free_text_leaves(b.view) if _normalise(s) not in page]
        assert missing == [], b.name


def test_numbers_are_shown_as_the_view_holds_them(infection: Built):
    page = render("_assessment.html", view=infection.view)
    lead = infection.view.differential[0]
    assert f"score {lead.score:.2f}" in page
    for e in lead.supporting:
        assert f"×{e.factor:.3g}" in page
    for lab in infection.view.labs:
        assert f"<strong>{lab.value:.4g}</strong> {html.escape(lab.unit)}" in page


def test_citations_are_on_demand_on_the_page_and_written_out_in_print(infection: Built):
    page = render("_assessment.html", view=infection.view)
    assert '<details class="rs-cite">' in page
    cid = infection.view.red_flags[0].citations[0]
    text = next(c.text for c in infection.view.citations if c.id == cid)
    assert html.escape(text, quote=False) in page
    printed = render("report.html", view=infection.view)
    assert '<details class="rs-cite">' not in printed
    assert f'href="#cite-{cid}"' in printed and f'id="cite-{cid}"' in printed


def test_view_without_the_case_still_draws_the_index_operation_and_labs(infection: Built, pack):
    from revspine.views import build_assessment_view

    view = build_assessment_view(infection.assessment, None, pack=pack)
    tl = view.timeline
    assert [e.kind for e in tl.events if e.kind == "surgery"] == ["surgery"] and tl.events[0].is_index
    assert tl.earlier == [] and view.notes is None
    assert [s.test for s in tl.labs] == [s.test for s in infection.view.timeline.labs]
    assert render("_assessment.html", view=view) == render("_assessment.html", view=view.model_dump(mode="json"))


def test_another_jinja_environment_can_render_the_partials(infection: Built):
    from jinja2 import Environment, PackageLoader, select_autoescape

    from revspine.views import configure

    env = configure(Environment(loader=PackageLoader("revspine", "web/templates"), autoescape=select_autoescape()))
    page = env.get_template("_assessment.html").render(view=infection.view.model_dump(mode="json"))
    assert all(f'<section id="{s.id}"' in page for s in infection.view.sections)
    assert "<svg" in page and "Ward 7 bed 3" in page


def test_deferred_work_up_is_shown_not_hidden_behind_nothing_missing(built_cases: list[Built]):
    deferred = [b for b in built_cases if b.assessment.workup_deferred]
    assert deferred, "an example defers work-up (23: normal early post-operative course)"
    for b in deferred:
        page = render("_assessment.html", view=b.view)
        section = page[page.index('<section id="workup"'):page.index('<section id="risk-factors"')]
        assert "Nothing missing" not in section and "Deferred while the course is as expected" in section
        for w in b.view.workup_deferred:
            assert f"<strong>{html.escape(w.label, quote=False)}</strong>" in section


def test_bottom_line_says_no_leading_cause_only_when_none_leads(built_cases: list[Built]):
    seen = {True: 0, False: 0}
    for b in built_cases:
        bl = b.view.bottom_line
        assert bl.leading == b.assessment.leading
        page = render("_assessment.html", view=b.view)
        start = page.index('<section id="bottom-line"')
        top = page[start:page.index("<section id=", start + 1)]
        shown = "No leading cause yet" in re.sub(r'<p class="rs-trace[^"]*">[^<]*</p>', "", top)
        if bl.causes:
            assert shown == (b.assessment.leading is None), b.name
            seen[shown] += 1
    assert seen[True] and seen[False], "the cases hold both kinds"

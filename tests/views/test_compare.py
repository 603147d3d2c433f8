"""compare_assessments: what changed between two assessments, and which finding moved it."""

from __future__ import annotations

import html
import json
import re

import pytest

from revspine import assess, parse_case
from revspine.views import compare_assessments, render
from revspine.views.compare import ComparisonView, case_differences

from ..conftest import TODAY
from .conftest import CASES, Built, build


@pytest.fixture(scope="module")
def reherniation(pack) -> tuple[Built, Built]:
    return build(CASES / "reherniation_before.json", pack), build(CASES / "reherniation_after.json", pack)


def test_one_new_imaging_finding_is_named_as_what_moved_the_cause(reherniation):
    before, after = reherniation
    diff = compare_assessments(before.assessment, after.assessment, old_case=before.case, new_case=after.case)
    rdh = next(c for c in diff.causes if c.cause == "recurrent_disc_herniation")
    assert rdh.old_rank is not None and rdh.new_rank is not None and rdh.new_rank < rdh.old_rank
    assert rdh.rank_delta == rdh.old_rank - rdh.new_rank
    assert rdh.score_delta is not None and rdh.score_delta > 0.2
    # The new MRI finding adds its LR and takes away the "MRI shows no recurrent disc" evidence.
    changes = {(e.finding, e.change, e.old_factor, e.new_factor) for e in rdh.evidence}
    assert changes == {("rdh_mri", "added", None, 3.4), ("rdh_absent_operated", "removed", 0.1, None)}
    added = next(e for e in rdh.evidence if e.change == "added")
    assert added.inputs == ["imaging[0].findings[1]: mri 2026-10-28 recurrent_disc_herniation at L5-S1"]
    # The finding list says the same from the findings' side; every one of them comes from that MRI.
    moved = {f.finding: f for f in diff.findings}
    assert {"rdh_mri", "rdh_absent_operated"} <= set(moved)
    assert [(e.cause, e.direction, e.factor) for e in moved["rdh_mri"].effects] == [
        ("recurrent_disc_herniation", "for", 3.4)]
    assert all(i.startswith("imaging[0]") for f in diff.findings for i in f.inputs)
    # Causes no finding bears on may change rank (they were overtaken) but not score.
    for c in diff.causes:
        if not c.evidence:
            assert c.score_delta in (0, None)
    # The case difference is that one finding, in clinical words, its JSON path kept for the trace.
    assert [(c.label, c.path, c.change, c.new) for c in diff.case_changes] == [
        ("MRI of 2026-10-28 › Finding", "imaging[0].findings[1]", "added", "Recurrent disc herniation at L5-S1 "
                                                                          "(side left)"),
    ]
    assert any("Recurrent disc herniation" in line for line in diff.summary)


def test_the_same_assessment_twice_changes_nothing(reherniation):
    before, _ = reherniation
    diff = compare_assessments(before.assessment, before.assessment, old_case=before.case, new_case=before.case)
    assert not diff.decision.changed
    assert diff.findings == [] and diff.case_changes == [] and diff.versions == []
    assert diff.red_flags_added == diff.red_flags_removed == []
    assert diff.workup_added == diff.workup_done == []
    assert {c.status for c in diff.causes} == {"unchanged"}
    assert diff.summary == [f"Decision unchanged: {diff.decision.new_headline}"]


def test_red_flags_decision_and_work_up_changes(pack, infection: Built):
    """The infection case, before the fever, wound and MRI findings, then with them."""
    raw = json.loads((CASES / "infection_red_flags.json").read_text())
    calm = json.loads(json.dumps(raw))
    calm["symptoms"].update(symptoms=["back_pain"], trend="stable", pain_free_interval=False)
    calm["exam"].update(wound="healed", temperature_c=36.8)
    calm["imaging"] = [calm["imaging"][0]]
    old_case = parse_case(calm, pack, today=TODAY)
    old = assess(old_case, pack)
    diff = compare_assessments(old, infection.assessment, old_case=calm, new_case=raw, old_id="1", new_id="2")
    assert {r.rule_id for r in diff.red_flags_added} == {r.rule_id for r in infection.assessment.red_flags}
    assert diff.red_flags_removed == []
    assert diff.decision.changed and diff.decision.new_category == "urgent"
    assert (diff.old.assessment_id, diff.new.assessment_id) == ("1", "2")
    assert "wbc" not in {w.test for w in diff.workup_added}
    found = {f.finding for f in diff.findings if f.change == "added"}
    assert {"infection_imaging", "fever_measured"} <= found
    assert diff.summary[0].startswith("Decision changed:")
    assert any(line.startswith("New red flag:") for line in diff.summary)
    changes = {(c.label, c.old, c.new) for c in diff.case_changes}
    assert {("Examination › Wound", "Healed", "Drainage"),
            ("Examination › Temperature (°C)", "36.8", "38.6")} <= changes
    study = next(c for c in diff.case_changes if c.path == "imaging[1]")
    assert (study.label, study.change) == ("Imaging study", "added") and study.new.startswith("MRI with contrast of ")


def test_case_rows_are_matched_by_what_they_are_not_by_position(pack):
    crp = [{"test": "crp", "value": float(i), "unit": "mg/L", "date": f"2026-10-{i + 1:02d}"} for i in range(11)]
    old = {"labs": crp, "imaging": [{"modality": "ct", "date": "2026-09-01", "findings": [{"code": "nonunion",
                                                                                           "level": "L4-L5"}]}]}
    # the same labs in another order, a new study at the top of the list, one CRP value corrected
    new = {"labs": [*reversed(crp[:10]), {**crp[10], "value": 11.5}],
           "imaging": [{"modality": "mri", "date": "2026-10-20"}, *old["imaging"]]}
    changes = case_differences(old, new, pack)
    assert [(c.label, c.change, c.old, c.new) for c in changes] == [
        ("C-reactive protein of 2026-10-11 › Value", "changed", "10", "11.5"),
        ("Imaging study", "added", None, "MRI of 2026-10-20"),
    ]
    assert [c.path for c in changes] == ["labs[10].value", "imaging[0]"]
    # without the pack, the lab is named from its code, acronym in capitals
    assert case_differences(old, new)[0].label == "CRP of 2026-10-11 › Value"
    assert case_differences(None, {"notes": "x"})[0].model_dump() == {
        "label": "Notes", "path": "notes", "change": "added", "old": None, "new": "x"}


def test_case_changes_speak_clinically_with_paths_only_in_the_trace(pack):
    old = {"surgeries": [{"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"], "date": "2025-01-10"}],
           "patient": {"sex": "female", "weight_kg": 80.0}, "risk_factors": {"smoking": "current"}}
    new = {"surgeries": [{**old["surgeries"][0], "instrumented": True}],
           "patient": {"sex": "female", "weight_kg": 76.5}, "risk_factors": {"smoking": "former"},
           "symptoms": {"symptoms": ["leg_pain", "back_pain"]}}
    rows = [(c.label, c.old, c.new) for c in case_differences(old, new, pack)]
    assert rows == [
        ("TLIF L4-L5 of 2025-01-10 › Instrumented", None, "yes"),
        ("Patient › Weight (kg)", "80", "76.5"),
        ("Risk factors › Smoking", "Current", "Former"),
        ("Symptoms", None, "Leg pain, Back pain"),
    ]
    for label, before, after in rows:  # no code, no JSON path in what the page shows
        for text in (label, before or "", after or ""):
            assert not re.search(r"\w\[\d+\]|[a-z]+_[a-z]+", text), text


def test_questionnaire_trends_over_every_assessment(pack):
    """ODI and back-pain NRS on three dates: each a trend, read against its cited MCID."""
    base = json.loads((CASES / "reherniation_before.json").read_text())
    scores = [("2026-06-01", 52, 8), ("2026-08-15", 44, 6), ("2026-11-10", 30, 3)]
    made = []
    for day, odi, nrs in scores:
        case = {**base, "questionnaires": {"odi": odi, "nrs_back": nrs, "date": day}}  # completed on `day`
        made.append(assess(parse_case(case, pack, today=TODAY), pack))
    diff = compare_assessments(made[1], made[2], pack=pack, history=made)
    trends = {t.instrument: t for t in diff.trends}
    odi = trends["odi"]
    assert [(str(p.date), p.total) for p in odi.points] == [(d, float(o)) for d, o, _ in scores]
    assert odi.change_points == -22 and odi.direction == "improved"  # 22 points > the 10-point MCID (Ostelo 2008)
    assert any(m.kind == "points" and m.threshold == 10 and m.reached for m in odi.mcid)
    assert "Ostelo2008" in odi.citations and "Ostelo2008" in {c.id for c in diff.citations}
    assert [str(p.date) for p in trends[next(i for i in trends if i.startswith("nrs"))].points] == [
        d for d, _, _ in scores]
    assert any(line.startswith(odi.label + ": 52% on 2026-06-01 → 30% on 2026-11-10") for line in diff.summary)
    page = render("_compare.html", diff=diff)
    assert 'id="cmp-trend-odi"' in page and "<svg" in page
    # without a history, the two assessments compared make the trend; without a pack, no trend is drawn
    assert [len(t.points) for t in compare_assessments(made[0], made[2], pack=pack).trends] == [2, 2]
    assert compare_assessments(made[0], made[2]).trends == []


def test_comparison_partial_shows_every_finding_and_path(reherniation):
    before, after = reherniation
    diff = compare_assessments(before.assessment, after.assessment, old_case=before.case, new_case=after.case)
    page = render("_compare.html", diff=diff)
    assert page == render("_compare.html", diff=diff.model_dump(mode="json"))
    for f in diff.findings:
        assert html.escape(f.label, quote=False) in page
    for c in diff.case_changes:
        assert html.escape(c.label, quote=False) in page
        assert f"<code>{c.path}</code>" in page  # in the trace, shown on demand
    # shown by default (the trace hidden): no JSON path and no rule id
    shown = re.sub(r'<(span|div|ul|p)[^>]*class="[^"]*rs-(trace|rule|inputs)[^"]*"[^>]*>.*?</\1>', "", page, flags=re.S)
    assert not re.search(r"\b[a-z_]+\[\d+\]", shown)
    for c in diff.causes:
        assert f"<code>{c.cause}</code>" not in shown
    for line in diff.summary:
        assert html.escape(line, quote=False) in page
    assert ComparisonView.model_validate(diff.model_dump(mode="json")) == diff

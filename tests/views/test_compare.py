"""compare_assessments: what changed between two assessments, and which finding moved it."""

from __future__ import annotations

import html
import json

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
    # The case difference is that one finding, by JSON path.
    assert [(c.path, c.change, c.new) for c in diff.case_changes] == [
        ("imaging[0].findings[1].code", "added", "recurrent_disc_herniation"),
        ("imaging[0].findings[1].level", "added", "L5-S1"),
        ("imaging[0].findings[1].side", "added", "left"),
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
    calm["symptoms"]["symptoms"] = ["back_pain"]
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
    paths = {c.path for c in diff.case_changes}
    assert {"exam.wound", "exam.temperature_c", "imaging[1].modality"} <= paths


def test_case_differences_order_paths_naturally():
    old = {"labs": [{"test": "crp", "value": float(i)} for i in range(11)]}
    new = {"labs": [{"test": "crp", "value": float(i) + (i == 10)} for i in range(11)]}
    assert [c.path for c in case_differences(old, new)] == ["labs[10].value"]
    assert case_differences(None, {"notes": "x"})[0].model_dump() == {
        "path": "notes", "change": "added", "old": None, "new": "x"}


def test_comparison_partial_shows_every_finding_and_path(reherniation):
    before, after = reherniation
    diff = compare_assessments(before.assessment, after.assessment, old_case=before.case, new_case=after.case)
    page = render("_compare.html", diff=diff)
    assert page == render("_compare.html", diff=diff.model_dump(mode="json"))
    for f in diff.findings:
        assert html.escape(f.label, quote=False) in page
    for c in diff.case_changes:
        assert f"<code>{c.path}</code>" in page
    for line in diff.summary:
        assert html.escape(line, quote=False) in page
    assert ComparisonView.model_validate(diff.model_dump(mode="json")) == diff

"""Revision plan: timing from the assessment's risk factors, approaches by cause, levels, bone
quality thresholds (CNS 2021) and outcomes by number of previous operations (NORspine)."""

from __future__ import annotations

import pytest

from revspine import assess
from revspine.plan import revision_plan
from revspine.plan.revision import bone_quality, outcome_by_prior_operations

from .cases import case


def plan_for(pack, c, cause=None):
    a = assess(c, pack)
    return revision_plan(
        c, pack, cause=cause or a.differential[0].cause, decision_category=a.decision.category,
        risk_factors=a.risk_factors,
    )


def test_pseudarthrosis_plan_in_a_smoker(pack):
    p = plan_for(pack, case(pack, risk_factors={"smoking": "current"}), cause="pseudarthrosis")
    ids = [a.option for a in p.approaches]
    assert ids[:4] == ["exclude_infection", "anterior", "lateral", "posterior_circumferential"]
    assert "stop_smoking" in ids
    assert p.levels.levels == ["L4-L5"] and p.levels.basis == "imaging"
    assert not p.timing.ready and any("Tobacco-free" in t for t in p.timing.targets)
    assert "rf_smoking" in p.timing.rule_ids
    assert any("100%" in o for o in p.expected_outcomes)
    assert "retrospective" in p.uncertainty


def test_non_smoker_has_no_smoking_approach(pack):
    p = plan_for(pack, case(pack), cause="pseudarthrosis")
    assert "stop_smoking" not in [a.option for a in p.approaches]


def test_adjacent_segment_levels_come_from_the_fusion(pack):
    c = case(pack, imaging=[{"modality": "mri", "date": "2026-09-01",
                             "findings": [{"code": "adjacent_level_stenosis", "level": "L3-L4"}]}])
    p = revision_plan(c, pack, cause="adjacent_segment_disease", decision_category="revision")
    assert p.levels.levels == ["L3-L4"] and p.levels.basis == "imaging"
    assert [a.option for a in p.approaches][:2] == ["extend_fusion", "decompression_only"]
    c2 = case(pack, imaging=[])
    p2 = revision_plan(c2, pack, cause="adjacent_segment_disease", decision_category="revision")
    assert p2.levels.levels == ["L3-L4", "L5-S1"] and p2.levels.basis == "next to the fusion"


def test_recurrent_disc_plan_offers_both_options(pack):
    p = revision_plan(case(pack), pack, cause="recurrent_disc_herniation", decision_category="revision")
    assert {a.option for a in p.approaches} == {"rediscectomy", "fusion"}
    assert not p.provisional


def test_cause_without_a_surgical_fix_gets_no_plan(pack):
    assert revision_plan(case(pack), pack, cause="facet_pain", decision_category="non_surgical") is None


def test_cause_without_a_strategy_says_so(pack):
    p = revision_plan(case(pack), pack, cause="dural_tear", decision_category="revision")
    assert p.approaches == [] and "no revision strategy" in p.evidence_gaps[0]


def test_urgent_decision_overrides_elective_timing(pack):
    p = revision_plan(case(pack), pack, cause="infection", decision_category="urgent")
    assert not p.timing.ready and p.timing.summary.startswith("Urgent")
    assert any("Debridement" in a.label for a in p.approaches)


@pytest.mark.parametrize(
    ("rf", "status"),
    [
        ({"dexa_t_score": -2.6}, "poor"),
        ({"dexa_t_score": -2.5}, "not_poor"),  # CNS: T-score below -2.5
        ({"ct_hounsfield_l1": 97.8}, "poor"),
        ({"ct_hounsfield_l1": 97.9}, "not_poor"),  # CNS: below 97.9 HU
        ({"osteoporosis": True}, "poor"),
        ({}, "unknown"),
    ],
)
def test_bone_quality_thresholds(pack, rf, status):
    b = bone_quality(case(pack, risk_factors=rf), pack)
    assert b.status == status
    assert "CNSOsteo2021" in b.citations
    if status == "unknown":
        assert "Screen everyone over 65" in b.advice and "Pickhardt2013" in b.citations
    if status == "poor":
        assert "teriparatide" in b.advice and b.augmentation


def test_low_vitamin_d_alone_is_poor_bone_health(pack):
    c = case(pack, labs=[{"test": "vitamin_d", "value": 30, "unit": "nmol/L", "date": "2026-09-01"}])  # 12 ng/mL
    assert bone_quality(c, pack).status == "poor"


@pytest.mark.parametrize(
    ("prior", "pass_percent", "odds"), [(0, 66.0, None), (1, None, 2.1), (2, None, 2.6), (3, None, 4.4),
                                        (4, 22.0, 6.9), (7, 22.0, 6.9)],
)
def test_outcome_by_number_of_previous_operations(pack, prior, pass_percent, odds):
    e = outcome_by_prior_operations(prior, pack)
    assert (e.pass_percent, e.odds_ratio_not_pass) == (pass_percent, odds)
    assert "Riksaasen2023" in e.citations
    if prior >= 4:
        assert "4 or more" in e.statement
    assert "ODI 22 or less" in e.statement or odds is not None


def test_plan_is_provisional_unless_the_decision_is_revision(pack):
    p = plan_for(pack, case(pack), cause="pseudarthrosis")
    assert p.provisional == (p.decision_category not in ("revision", "revision_after_optimisation"))

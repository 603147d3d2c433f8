"""Property tests of the ranking model and the decision (hypothesis over schema-valid cases).

* A cause with confirmatory evidence always outranks a cause supported only by its prior and timing.
* No cause without a supporting finding leads while another cause or mimic has one; the lead is None
  exactly when no cause or mimic has confirmatory or supportive evidence.
* An examination item marked "not examined" (null) never changes any score, and no evidence item quotes it.
* A red flag always gives an urgent decision, and each cause it points to is in the top three.

(Adding a supporting finding never lowers that cause's score: tests/test_properties.py.)
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from revspine import assess, default_pack, parse_case
from revspine.engine.differential import TIER_ORDER, pointed_causes

from .strategies import cases
from .test_properties import add_finding

PACK = default_pack()
TODAY = date(2026, 11, 22)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LEADS = ("confirmatory", "supportive")


def run(data: dict[str, Any]):
    return assess(parse_case(data, PACK, today=TODAY), PACK)


def confirmatory_pairs() -> list[tuple[str, str]]:
    """(cause, finding) for each confirmatory evidence entry that needs no other finding to confirm."""
    out = []
    for cid, cause in PACK.causes.items():
        for ev in cause.evidence:
            if ev.tier == "confirmatory" and ev.confirm_when is None and (ev.weight or 0) >= 0:
                if PACK.findings[ev.finding].predicate in ("imaging", "block", "culture", "emg"):
                    out.append((cid, ev.finding))
    return out


CONFIRMATORY = confirmatory_pairs()


def test_there_are_confirmatory_findings_to_add():
    assert len(CONFIRMATORY) >= 8


@SETTINGS
@given(data=cases(PACK), pair=st.sampled_from(CONFIRMATORY))
def test_confirmatory_evidence_outranks_prior_and_timing_only(data, pair):
    cid, fid = pair
    augmented = add_finding(data, PACK.findings[fid])
    assume(augmented is not None)
    a = run(augmented)
    for ranked in (a.differential, a.mimics):
        target = next((c for c in ranked if c.cause == cid), None)
        if target is None:
            continue  # the cause does not apply to this case
        assert target.tier == "confirmatory", [(e.finding, e.tier) for e in target.supporting]
        for other in ranked:
            if other.tier == "none" and not other.red_flag:
                assert target.rank < other.rank, (cid, other.cause)


@SETTINGS
@given(data=cases(PACK))
def test_no_cause_without_a_supporting_finding_leads_while_another_has_one(data):
    a = run(data)
    everything = [*a.differential, *a.mimics]
    supported = [c for c in everything if c.tier in LEADS]
    if supported:
        lead = next(c for c in everything if c.cause == a.leading)
        assert lead.tier in LEADS
        best = min(TIER_ORDER[c.tier] for c in everything)
        assert TIER_ORDER[lead.tier] == best
    else:
        assert a.leading is None and a.leading_note.startswith("No leading cause yet")
    if any(c.tier != "none" for c in a.differential):
        assert a.differential[0].tier != "none" or a.differential[0].red_flag


NOT_EXAMINED: dict[str, Any] = {"straight_leg_raise": "not_done"}  # every other item: null
EXAM_ITEMS = (
    "motor_deficit", "straight_leg_raise", "hip_exam_abnormal", "distal_pulses", "ankle_brachial_index",
    "paraspinal_tenderness", "temperature_c", "wound", "sensory_loss_dermatomal", "si_provocation_positive",
)


@SETTINGS
@given(data=cases(PACK), item=st.sampled_from(EXAM_ITEMS))
def test_an_item_not_examined_never_changes_any_score(data, item):
    without = copy.deepcopy(data)
    without.setdefault("exam", {}).pop(item, None)
    marked = copy.deepcopy(without)
    marked["exam"][item] = NOT_EXAMINED.get(item)  # explicitly: not examined
    a, b = run(without), run(marked)
    assert [(c.cause, c.score) for c in a.differential] == [(c.cause, c.score) for c in b.differential]
    assert [(c.cause, c.score) for c in a.mimics] == [(c.cause, c.score) for c in b.mimics]
    for c in (*b.differential, *b.mimics):
        for e in (*c.supporting, *c.opposing):
            assert not any(q.startswith(f"exam.{item} ") for q in e.inputs), (c.cause, e.rule_id)


@SETTINGS
@given(data=cases(PACK))
def test_a_red_flag_always_gives_an_urgent_decision_and_keeps_its_causes_in_the_top_three(data):
    a = run(data)
    if a.red_flags:
        assert a.decision.category == "urgent"
    pointed = pointed_causes(a.red_flags, PACK)
    for ranked in (a.differential, a.mimics):
        flagged = [c for c in ranked if c.cause in pointed]
        assert all(c.red_flag for c in flagged)
        # the best-ranked cause stays first, flagged or not; the flagged causes take the places left in the top 3
        places = 3 if ranked and ranked[0].cause in pointed else 2
        in_top = [c for c in flagged if c.rank <= 3]
        assert len(in_top) == min(len(flagged), places), [(c.cause, c.rank) for c in flagged]

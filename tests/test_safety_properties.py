"""Properties of the safety layer and of applicability, over generated cases (hypothesis).

- a case with no prior spine operation is always not applicable (no ranked differential; the decision says so,
  unless a red flag makes it urgent); a case with an operation never is;
- a red flag always gives an urgent decision;
- an examination item marked "not examined" (null) never changes any red flag.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revspine.case import parse_case
from revspine.knowledge import default_pack
from revspine.pipeline import Assessment, assess

from .strategies import ASSESSED, cases

PACK = default_pack()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAM_ITEMS = ["straight_leg_raise_side", "reflexes", "motor_deficit", "motor_deficit_progressive", "saddle_anaesthesia",
              "bladder_bowel_dysfunction", "si_provocation_positive", "hip_exam_abnormal", "distal_pulses",
              "ankle_brachial_index", "temperature_c", "wound", "paraspinal_tenderness", "sensory_loss_dermatomal",
              "stocking_sensory_loss", "widespread_tenderness", "fortin_finger_test", "allodynia",
              "incisional_tenderness", "hoffmann_sign", "hyperreflexia", "gait_ataxia", "mjoa", "neck_swelling",
              "stridor", "oxygen_saturation", "meningism"]


def run(data: dict[str, Any]) -> Assessment:
    return assess(parse_case(data, PACK, today=ASSESSED), PACK)


def _flags(a: Assessment) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.rule_id, tuple(f.inputs)) for f in a.red_flags]


@SETTINGS
@given(data=cases(PACK))
def test_no_prior_operation_is_never_assessed_as_a_failed_operation(data: dict[str, Any]) -> None:
    data = {**data, "surgeries": []}
    data["symptoms"] = {k: v for k, v in data["symptoms"].items() if k != "onset_days_after_surgery"}
    a = run(data)
    assert a.applicability == "not_applicable"
    assert a.differential == [] and a.mimics == [] and a.workup == [] and a.revision_plan is None
    if a.red_flags:
        assert a.decision.category == "urgent"
    else:
        assert a.decision.category == "not_applicable"
    assert any("No prior spine operation" in r for r in a.decision.reasons)


@SETTINGS
@given(data=cases(PACK))
def test_a_case_with_an_operation_is_always_applicable(data: dict[str, Any]) -> None:
    if not data["surgeries"]:
        data = {**data, "surgeries": [{"procedure": "discectomy", "region": "lumbar", "levels": ["L4-L5"],
                                       "date": "2025-01-10"}]}
        data["symptoms"] = {k: v for k, v in data["symptoms"].items() if k != "onset_days_after_surgery"}
    a = run(data)
    assert a.applicability == "applies" and a.decision.category != "not_applicable" and a.differential


@SETTINGS
@given(data=cases(PACK))
def test_a_red_flag_always_gives_an_urgent_decision(data: dict[str, Any]) -> None:
    a = run(data)
    if a.red_flags:
        assert a.decision.category == "urgent", [f.rule_id for f in a.red_flags]
    for f in a.red_flags:
        assert set(f.points_to) <= set(PACK.causes)


@SETTINGS
@given(data=cases(PACK), items=st.lists(st.sampled_from(EXAM_ITEMS), unique=True, min_size=1, max_size=6),
       motor_unknown=st.booleans())
def test_an_item_not_examined_never_changes_a_red_flag(data: dict[str, Any], items: list[str],
                                                       motor_unknown: bool) -> None:
    """null ("not examined") and leaving the item out give the same flags, with the same inputs; and no flag
    quotes an item that was not examined."""
    omitted = copy.deepcopy(data)
    for item in items:
        omitted["exam"].pop(item, None)
    explicit = copy.deepcopy(omitted)
    explicit["exam"].update(dict.fromkeys(items, None))
    if motor_unknown:
        for grade in explicit["exam"].get("motor", []):
            grade.update({"new_since_surgery": grade.get("new_since_surgery"), "progressive": grade.get("progressive")})
    a, b = run(omitted), run(explicit)
    assert _flags(a) == _flags(b)
    for f in b.red_flags:
        # A flag may say an item was not examined (weakness reported "until an examination records normal
        # strength" quotes "exam.motor_deficit not recorded"); it never reads a value from it.
        assert not any(i.startswith((f"exam.{item} ", f"exam.{item}=")) and not i.endswith(" not recorded")
                       for item in items for i in f.inputs), f.rule_id

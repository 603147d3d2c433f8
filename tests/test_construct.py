"""make() and Template: trusted result objects built without re-validation, as pydantic would build them."""

from __future__ import annotations

import pytest

from revspine._construct import Template, make
from revspine.engine.result import EvidenceItem, RedFlagResult, WorkupReason

FIXED = {"rule_id": "c.f", "finding": "f", "label": "F", "kind": "ordinal", "lr": None, "weight": 2, "factor": 2.0,
         "reason": "why", "status": "present", "basis": None}


def test_a_template_builds_what_make_and_validation_build() -> None:
    template = Template(EvidenceItem, ("tier", "inputs", "citations"), **FIXED)
    built = template(tier="supportive", inputs=["x = 1"], citations=["A"])
    made = make(EvidenceItem, **FIXED, tier="supportive", inputs=["x = 1"], citations=["A"])
    valid = EvidenceItem.model_validate({**FIXED, "tier": "supportive", "inputs": ["x = 1"], "citations": ["A"]})
    assert built.model_dump() == made.model_dump() == valid.model_dump()
    assert list(built.model_dump()) == list(EvidenceItem.model_fields)  # declared order, whatever the call order
    assert built.model_fields_set == made.model_fields_set


def test_objects_from_one_template_share_no_mutable_value() -> None:
    flag = Template(RedFlagResult, ("inputs", "citations"), rule_id="r", label="R", urgency="urgent", action="act")
    a, b = flag(inputs=[], citations=[]), flag(inputs=[], citations=[])
    a.points_to.append("infection")  # a default factory: a fresh list per object
    assert b.points_to == []
    with pytest.raises(TypeError, match="mutable"):
        Template(WorkupReason, ("reason",), rule_id="w", citations=["A"])


def test_a_template_names_its_fields_once_and_checks_each_call() -> None:
    with pytest.raises(TypeError, match="unknown fields"):
        Template(WorkupReason, ("citations",), rule_id="w", reason="r", colour="red")
    with pytest.raises(TypeError, match="missing required field"):
        Template(WorkupReason, ("citations",), rule_id="w")
    with pytest.raises(TypeError, match="both fixed and given"):
        Template(WorkupReason, ("reason",), rule_id="w", reason="r")
    reason = Template(WorkupReason, ("citations",), rule_id="w", reason="r")
    with pytest.raises(TypeError, match="give exactly"):
        reason(citations=[], for_test="x")
    with pytest.raises(TypeError, match="give exactly"):
        reason()


def test_objects_built_with_every_field_share_a_set_nothing_can_change() -> None:
    """Objects given every field share one set of set fields (``_every_field``): assigning a field adds a name already
    there, a copy gets its own set, and objects given fewer fields keep their own."""
    template = Template(EvidenceItem, ("tier", "inputs", "citations"), **FIXED)
    a, b = template.build(tier="supportive", inputs=[], citations=[]), template(tier="risk", inputs=[], citations=[])
    made = make(EvidenceItem, **FIXED, tier="supportive", inputs=[], citations=[])
    assert a.model_fields_set is b.model_fields_set is made.model_fields_set
    assert a.model_fields_set == set(EvidenceItem.model_fields)
    a.tier = "against"
    assert b.model_fields_set == set(EvidenceItem.model_fields)
    assert a.model_copy().model_fields_set is not a.model_fields_set
    partial = make(WorkupReason, rule_id="w", reason="r", citations=[])
    assert partial.model_fields_set == {"rule_id", "reason", "citations"}
    partial.for_test = "x"
    again = make(WorkupReason, rule_id="w", reason="r", citations=[])
    assert again.model_fields_set == {"rule_id", "reason", "citations"}

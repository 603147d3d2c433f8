"""Small case builders for the plan-area tests (dicts, validated through parse_case)."""

from __future__ import annotations

import copy
from typing import Any

from revspine import parse_case
from revspine.case.model import Case
from revspine.knowledge import KnowledgePack

from ..conftest import TODAY

__all__ = ["BASE", "case", "deep_merge"]

BASE: dict[str, Any] = {
    "case_id": "plan-test",
    "assessment_date": "2026-10-01",
    "patient": {"age": 64, "sex": "female", "height_cm": 165, "weight_kg": 70},
    "surgeries": [
        {"procedure": "tlif", "region": "lumbar", "levels": ["L4-L5"], "date": "2025-06-10", "instrumented": True,
         "approach": "posterior"}
    ],
    "symptoms": {"symptoms": ["back_pain"], "onset_days_after_surgery": 150, "pattern": "axial"},
    "imaging": [{"modality": "ct", "date": "2026-09-01", "findings": [{"code": "nonunion", "level": "L4-L5"}]}],
}


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def case(pack: KnowledgePack, **extra: Any) -> Case:
    return parse_case(deep_merge(BASE, extra), pack, today=TODAY)

"""Words for codes the Assessment carries: section titles, decision headlines, lab statuses.

Presentation only: which status counts as an alert is read from the lab status the
engine assigned, never from the value.
"""

from __future__ import annotations

__all__ = [
    "SECTION_TITLES",
    "DECISION_HEADLINES",
    "LAB_STATUS_LABELS",
    "ALERT_LAB_STATUSES",
    "MONTHS",
    "lab_status_label",
    "fmt_num",
]

#: Sections of the assessment page and report, in display order: id -> heading.
SECTION_TITLES: dict[str, str] = {
    "red-flags": "Red flags",
    "timing": "Timing",
    "timeline": "Timeline",
    "differential": "Differential diagnosis",
    "mimics": "Mimics to rule out",
    "labs": "Labs against days since surgery",
    "workup": "Missing work-up",
    "risk-factors": "Risk factors",
    "decision": "Decision",
    "uncertainties": "Uncertain or missing",
    "versions": "Versions",
    "citations": "Citations",
}

DECISION_HEADLINES: dict[str, str] = {
    "urgent": "Urgent: act on the red flags first",
    "revision": "Revision surgery can be considered",
    "revision_after_optimisation": "Revision after optimising modifiable risks",
    "non_surgical": "Non-surgical care",
    "workup_first": "Not yet: work-up first",
}

LAB_STATUS_LABELS: dict[str, str] = {
    "normal": "normal",
    "raised": "raised",
    "raised_expected": "raised, expected after surgery",
    "raised_beyond_expected": "raised beyond the expected course",
    "second_rise": "second rise",
    "low": "low",
}

#: Statuses that need a clinician's attention (expected post-operative rises do not).
ALERT_LAB_STATUSES = frozenset({"raised", "raised_beyond_expected", "second_rise", "low"})

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lab_status_label(status: str) -> str:
    return LAB_STATUS_LABELS.get(status, status.replace("_", " "))


def fmt_num(value: float | None, digits: int = 3) -> str:
    """A number as printed everywhere: up to `digits` significant figures, no trailing zeros."""
    if value is None:
        return "–"
    return f"{value:.{digits}g}"

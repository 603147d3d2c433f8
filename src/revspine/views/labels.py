"""Words for codes the Assessment carries: section titles, decision headlines, lab statuses.

Presentation only: which status counts as an alert is read from the lab status the
engine assigned, never from the value.
"""

from __future__ import annotations

from ..plan.order_set import ORDER_CATEGORY_LABELS

__all__ = [
    "SECTION_TITLES",
    "PLAN_SECTION_TITLES",
    "SAFETY_TITLE",
    "DECISION_HEADLINES",
    "ALIGNMENT_STATUS_LABELS",
    "MEASUREMENTS",
    "TARGET_STATUS_LABELS",
    "BONE_QUALITY_LABELS",
    "ORDER_CATEGORY_LABELS",
    "TREND_DIRECTION_LABELS",
    "SCORE_SOURCE_LABELS",
    "display_unit",
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
    "alignment": "Sagittal alignment",
    "revision-plan": "Revision plan",
    "order-set": "Peri-operative orders",
    "instruments": "Instruments and outcomes",
    "patient": "For the patient",
    "uncertainties": "Uncertain or missing",
    "versions": "Versions",
    "citations": "Citations",
}

#: The plan-area sections: shown after the decision, each only when the assessment carries it.
PLAN_SECTION_TITLES: dict[str, str] = {
    k: SECTION_TITLES[k] for k in ("alignment", "revision-plan", "order-set", "instruments", "patient")
}

#: Title of the first section when a questionnaire raised a safety alert.
SAFETY_TITLE = "Red flags and safety alerts"

DECISION_HEADLINES: dict[str, str] = {
    "urgent": "Urgent: act on the red flags first",
    "revision": "Revision surgery can be considered",
    "revision_after_optimisation": "Revision after optimising modifiable risks",
    "non_surgical": "Non-surgical care",
    "workup_first": "Not yet: work-up first",
    "not_applicable": "Not applicable: no prior spine operation",
}

LAB_STATUS_LABELS: dict[str, str] = {
    "normal": "normal",
    "raised": "raised",
    "raised_expected": "raised, expected after surgery",
    "not_interpreted": "not interpreted: no threshold in the pack",
    "raised_beyond_expected": "raised beyond the expected course",
    "second_rise": "second rise",
    "low": "low",
}

#: Statuses that need a clinician's attention (expected post-operative rises do not).
ALERT_LAB_STATUSES = frozenset({"raised", "raised_beyond_expected", "second_rise", "low"})

ALIGNMENT_STATUS_LABELS: dict[str, str] = {
    "complete": "all measurements given",
    "incomplete": "some measurements missing: targets that need them are not computed",
    "inconsistent": "inconsistent: PI differs from PT + SS beyond the measurement tolerance",
}

#: Spinopelvic measurements in display order: id -> (label, printed unit, JSON path in the case).
MEASUREMENTS: dict[str, tuple[str, str, str]] = {
    "pi": ("Pelvic incidence (PI)", "°", "alignment.pi"),
    "pt": ("Pelvic tilt (PT)", "°", "alignment.pt"),
    "ss": ("Sacral slope (SS)", "°", "alignment.ss"),
    "ll": ("Lumbar lordosis L1-S1 (LL)", "°", "alignment.ll"),
    "tk": ("Thoracic kyphosis T4-T12 (TK)", "°", "alignment.tk"),
    "sva_mm": ("Sagittal vertical axis (SVA)", "mm", "alignment.sva_mm"),
    "age": ("Age", "years", "patient.age"),
}

TARGET_STATUS_LABELS: dict[str, str] = {
    "computed": "computed",
    "missing_input": "not computed: a measurement it needs is missing",
    "withheld": "withheld",
}

BONE_QUALITY_LABELS: dict[str, str] = {
    "poor": "poor bone quality",
    "not_poor": "above the thresholds",
    "unknown": "not measured",
}


TREND_DIRECTION_LABELS: dict[str, str] = {
    "improved": "improved by at least an MCID",
    "worsened": "worsened by at least an MCID",
    "no_important_change": "no important change",
    "not_interpretable": "no published MCID to read the change against",
}

SCORE_SOURCE_LABELS: dict[str, str] = {
    "items": "scored from the item answers",
    "total": "total as recorded (items not given)",
}

_UNITS = {"deg": "°", "degrees": "°"}


def display_unit(unit: str) -> str:
    """A unit as printed: degrees as the ° sign, everything else as given."""
    return _UNITS.get(unit, unit)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lab_status_label(status: str) -> str:
    return LAB_STATUS_LABELS.get(status, status.replace("_", " "))


def fmt_num(value: float | None, digits: int = 3) -> str:
    """A number as printed everywhere: up to `digits` significant figures, no trailing zeros."""
    if value is None:
        return "–"
    return f"{value:.{digits}g}"

"""View models of the plan sections: sagittal alignment, the revision plan and the order set.

Values are copied from the Assessment's ``alignment``, ``revision_plan`` and ``order_set``
(revspine.plan.models); the view adds words for codes and the drawing of the sagittal
profile. Every field carries a description; docs/views.md is generated from them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .sections import ViewModel, _cites

__all__ = [
    "MeasurementView",
    "SchwabModifierView",
    "ConsistencyView",
    "LordosisTargetView",
    "PiClassRowView",
    "PiClassView",
    "CorrectionView",
    "OsteotomyView",
    "AlignmentView",
    "PlanTimingView",
    "ApproachView",
    "LevelsView",
    "BoneQualityView",
    "PriorOperationsView",
    "RevisionPlanView",
    "OrderLineView",
    "OrderSetView",
]


# -- sagittal alignment ---------------------------------------------------------------------


class MeasurementView(ViewModel):
    parameter: Literal["pi", "ll", "pt", "ss", "sva_mm", "tk", "age"] = Field(
        description="Which measurement: `pi`, `ll`, `pt`, `ss`, `sva_mm`, `tk` or `age`"
    )
    label: str = Field(description="The measurement, in words, with its usual abbreviation")
    value: float | None = Field(description="The value as given in the case; null when not measured")
    unit: str = Field(description="Unit as printed: `°`, `mm` or `years`")
    input: str = Field(description="Where the value comes from in the case (JSON path)")


class SchwabModifierView(ViewModel):
    parameter: Literal["pi_minus_ll", "sva_mm", "pt"] = Field(description="SRS-Schwab sagittal modifier")
    label: str = Field(description="The modifier, in words")
    value: float = Field(description="The patient's value")
    unit: str = Field(description="Unit as printed: `°` or `mm`")
    grade: Literal["0", "+", "++"] = Field(description="Schwab grade: `0`, `+` or `++`")
    grade_label: str = Field(description="The grade, in words")
    boundary_note: str = Field(description="The published cut-offs and which band a boundary value falls in")
    inputs: list[str] = Field(description="JSON paths of the case values used")
    reliable: bool = Field(description="False when it rests on PI or PT that failed the PI = PT + SS check")
    citations: list[str] = _cites("the classification")


class ConsistencyView(ViewModel):
    pi: float = Field(description="Pelvic incidence as given (°)")
    pt: float = Field(description="Pelvic tilt as given (°)")
    ss: float = Field(description="Sacral slope as given (°)")
    difference_deg: float = Field(description="PI − (PT + SS), in degrees")
    tolerance_deg: float = Field(description="Measurement tolerance the difference is read against (°)")
    consistent: bool = Field(description="True when the difference is within the tolerance")
    tolerance_from_evidence: bool = Field(description="True when the tolerance comes from measurement-error studies")
    message: str = Field(description="The check's result, in words")
    citations: list[str] = _cites("the tolerance")


class LordosisTargetView(ViewModel):
    formula: str = Field(description="Id of the lordosis formula in the knowledge pack")
    label: str = Field(description="Name of the formula (usually its authors)")
    expression: str = Field(description="The formula as published")
    population: str = Field(description="Whom the formula was derived from: read it before choosing a target")
    kind: Literal["point", "range", "minimum"] = Field(
        description="`point` (one value), `range` (low to high) or `minimum` (at least)"
    )
    status: Literal["computed", "missing_input", "withheld"] = Field(
        description="`computed`, `missing_input` (a value it needs is not measured) or `withheld` (see the note)"
    )
    status_label: str = Field(description="The status, in words")
    target_deg: float | None = Field(description="Target lordosis for a point, the least for a minimum (°)")
    low_deg: float | None = Field(description="Lower end of the target for a range (°)")
    high_deg: float | None = Field(description="Upper end of the target for a range (°)")
    correction_min_deg: float | None = Field(
        description="Least lordosis to add (°); negative when the lordosis is already above the target"
    )
    correction_max_deg: float | None = Field(description="Most lordosis to add (°); equals the least for a point")
    missing_inputs: list[str] = Field(description="Measurements the formula needs and the case lacks")
    note: str | None = Field(description="Caveat about this formula, when there is one")
    quality: Literal["primary", "secondary"] = Field(
        description="`primary` when read in the source itself, `secondary` when taken from a summary"
    )
    citations: list[str] = _cites("the formula")


class PiClassRowView(ViewModel):
    pi_class: str = Field(description="PI class of the published table")
    published_range: str = Field(description="PI range of the class, as published (°)")
    pt_theoretical_deg: float = Field(description="Theoretical pelvic tilt for the class (°)")
    ll_theoretical_deg: float = Field(description="Theoretical lumbar lordosis for the class (°)")


class PiClassView(ViewModel):
    pi: float = Field(description="The patient's pelvic incidence (°)")
    matches: list[PiClassRowView] = Field(description="Rows of the PI-class table the PI falls in")
    between_rows: bool = Field(description="True when the PI falls between two published rows")
    note: str | None = Field(description="Caveat about the match, when there is one")
    citations: list[str] = _cites("the PI-class table")


class CorrectionView(ViewModel):
    least_deg: float = Field(description="Smallest lordosis correction any computed formula asks for (°)")
    most_deg: float = Field(description="Largest lordosis correction any computed formula asks for (°)")
    spread_deg: float = Field(description="How far the formulas disagree: most − least (°)")
    formulas: int = Field(description="How many formulas could be computed")
    statement: str = Field(description="The correction needed, in words")


class OsteotomyView(ViewModel):
    osteotomy: str = Field(description="Id of the osteotomy in the knowledge pack")
    label: str = Field(description="The osteotomy, in words")
    grade: str | None = Field(description="Grade in the Schwab osteotomy classification, when given")
    correction_per_level: str = Field(description="Correction per level that the sources give")
    levels_min: int | None = Field(description="Levels for the least correction at the best per-level figure")
    levels_max: int | None = Field(description="Levels for the most correction at the worst per-level figure")
    note: str = Field(description="How the level counts were worked out")
    requirements: str = Field(description="What the osteotomy needs and where it fits")
    citations: list[str] = _cites("the correction per level")


class AlignmentView(ViewModel):
    """Sagittal alignment against the SRS-Schwab classification and the published lordosis targets."""

    status: Literal["complete", "incomplete", "inconsistent"] = Field(
        description="`complete`, `incomplete` (some measurements missing) or `inconsistent` (PI ≠ PT + SS)"
    )
    status_label: str = Field(description="The status, in words")
    measured: list[MeasurementView] = Field(description="Every spinopelvic measurement, as given, in a fixed order")
    modifiers: list[SchwabModifierView] = Field(description="SRS-Schwab sagittal modifiers with their grades")
    consistency: ConsistencyView | None = Field(description="The PI = PT + SS check, when all three are measured")
    targets: list[LordosisTargetView] = Field(
        description="Target lordosis by every formula in the pack, side by side (they disagree)"
    )
    pi_class: PiClassView | None = Field(description="The PI-class table's theoretical PT and LL, when PI is known")
    correction: CorrectionView | None = Field(description="The lordosis correction needed across the formulas")
    osteotomies: list[OsteotomyView] = Field(description="Osteotomy options with their correction per level")
    regional_note: str = Field(description="Which regions the analysis covers (and which it does not)")
    warnings: list[str] = Field(description="Checks to make before using the numbers (e.g. inconsistent inputs)")
    profile_svg: str | None = Field(
        description="The sagittal profile, current (solid) against target (dashed), as inline SVG markup drawn by "
        "revspine.plan.svg; null when the inputs are inconsistent or SS and LL are unknown"
    )
    profile_caption: str = Field(description="Caption of the drawing, or why there is none")
    citations: list[str] = _cites("the alignment analysis")


# -- revision plan --------------------------------------------------------------------------


class PlanTimingView(ViewModel):
    ready: bool = Field(description="True when no recorded modifiable risk blocks an elective revision")
    summary: str = Field(description="When to operate, in words")
    targets: list[str] = Field(description="Optimisation targets to meet first")
    rule_ids: list[str] = Field(description="Risk-factor rules that set the targets")
    citations: list[str] = _cites("the timing")


class ApproachView(ViewModel):
    option: str = Field(description="Id of the approach option in the knowledge pack")
    label: str = Field(description="The option, in words")
    considerations: str = Field(description="What speaks for or against it, with figures from the sources")
    inputs: list[str] = Field(description="Case inputs that made it relevant, with their JSON paths")
    citations: list[str] = _cites("the considerations")


class LevelsView(ViewModel):
    levels: list[str] = Field(description="Motion segments the plan starts from")
    basis: str = Field(description="Where the levels come from")
    note: str = Field(description="What else decides the levels")


class BoneQualityView(ViewModel):
    status: Literal["poor", "not_poor", "unknown"] = Field(description="`poor`, `not_poor` or `unknown`")
    status_label: str = Field(description="The status, in words")
    dexa_t_score: float | None = Field(description="Lowest DEXA T-score recorded")
    ct_hounsfield: float | None = Field(description="CT attenuation in Hounsfield units, when recorded")
    vitamin_d_ng_ml: float | None = Field(description="25-OH vitamin D in ng/mL, when measured")
    thresholds: str = Field(description="The thresholds the values are read against")
    advice: str = Field(description="What to do about bone quality before revision")
    augmentation: str = Field(description="Screw augmentation options when bone is poor; empty otherwise")
    citations: list[str] = _cites("the thresholds and advice")


class PriorOperationsView(ViewModel):
    prior_operations: int = Field(description="Previous operations counted for this patient")
    pass_percent: float | None = Field(description="Share reaching an acceptable state, when published for this count")
    odds_ratio_not_pass: float | None = Field(description="Odds of not reaching it against a first operation")
    statement: str = Field(description="The estimate for this patient, in words")
    figures: list[str] = Field(description="Other published figures for repeat operations")
    uncertainty: str = Field(description="What the figures do not cover")
    citations: list[str] = _cites("the outcome figures")


class RevisionPlanView(ViewModel):
    """A starting point for the surgeon for the leading cause, not an order."""

    cause: str = Field(description="Id of the leading cause the plan is for")
    cause_label: str = Field(description="The cause, in words")
    provisional: bool = Field(description="True when the decision is not (yet) revision: a plan if revision is chosen")
    decision_category: str = Field(description="The assessment's decision category")
    decision_headline: str = Field(description="The decision category, in words")
    timing: PlanTimingView = Field(description="When to operate: after which optimisation targets")
    approaches: list[ApproachView] = Field(description="Approach considerations for the cause")
    levels: LevelsView = Field(description="Levels to start from")
    bone_quality: BoneQualityView = Field(description="Bone quality against DEXA and CT thresholds")
    expected_outcomes: list[str] = Field(description="Published outcomes of revision for this cause")
    by_prior_operations: PriorOperationsView | None = Field(
        description="Expected outcome by the number of previous operations, when the sources give it"
    )
    uncertainty: str = Field(description="How sure these figures are")
    evidence_gaps: list[str] = Field(description="Evidence the pack looked for and did not find")
    citations: list[str] = _cites("the plan")


# -- order set ------------------------------------------------------------------------------


class OrderLineView(ViewModel):
    item: str = Field(description="Id of the order item in the knowledge pack")
    category: str = Field(description="Order category id, e.g. `antibiotic_prophylaxis`")
    category_label: str = Field(description="The category, in words")
    title: str = Field(description="The order, in words")
    choose_one_of: str | None = Field(description="Lines sharing this group are alternatives: order one")
    medication: str | None = Field(description="Generic name, for medication orders")
    rxnorm: str | None = Field(description="RxNorm ingredient code (RXCUI), when verified")
    dose_text: str | None = Field(description="The dose for this patient, with the arithmetic that gave it")
    dose_amount: float | None = Field(description="The dose amount; null when it depends on a missing weight")
    dose_unit: str | None = Field(description="Unit of the dose amount")
    route: str | None = Field(description="Route of administration")
    timing: str | None = Field(description="When to give it")
    redosing: str | None = Field(description="When to give it again during surgery")
    duration: str | None = Field(description="When to stop")
    instruction: str = Field(description="What to do")
    reason: str | None = Field(description="Why this order applies to this patient; null when it applies to everyone")
    inputs: list[str] = Field(description="Case inputs that made it apply, with their JSON paths")
    evidence: str = Field(description="The evidence, with figures")
    evidence_gap: str | None = Field(description="What the sources do not say, when something is missing")
    citations: list[str] = _cites("the order")


class OrderSetView(ViewModel):
    """The peri-operative orders for this patient, from the protocol in the knowledge pack."""

    protocol: str = Field(description="Id of the order-set protocol")
    label: str = Field(description="Name of the protocol")
    version: str = Field(description="Version of the protocol")
    knowledge_sources: list[str] = Field(description="Packs layered in (a hospital's local pack overrides items)")
    lines: list[OrderLineView] = Field(description="Orders that apply, in protocol order")
    not_applicable: list[str] = Field(description="Orders of the protocol that do not apply, and why")
    warnings: list[str] = Field(description="Checks to make before ordering (e.g. weight not recorded)")
    local_note: str = Field(description="Reminder that this is a protocol to adapt, not an order")
    citations: list[str] = _cites("the orders")

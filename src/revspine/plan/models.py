"""Result models of the plan area, as they appear in the Assessment JSON.

Every element names the citations it rests on; numbers that no source gives are absent
(``None``) and the reason is in a ``note`` or ``evidence_gap`` field, never a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ModifierResult",
    "ConsistencyCheck",
    "LordosisTarget",
    "PiClassMatch",
    "PiClassResult",
    "CorrectionSummary",
    "OsteotomyOption",
    "AlignmentResult",
    "ApproachResult",
    "TimingAdvice",
    "LevelsAdvice",
    "BoneQualityAdvice",
    "OutcomeEstimate",
    "RevisionPlan",
    "OrderLine",
    "OrderSet",
]


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- alignment ---------------------------------------------------------------------------


class ModifierResult(_R):
    parameter: Literal["pi_minus_ll", "sva_mm", "pt"]
    label: str
    value: float
    unit: str
    grade: Literal["0", "+", "++"]
    grade_label: str
    boundary_note: str
    inputs: list[str] = Field(description="JSON paths of the case values used")
    reliable: bool = Field(description="False when it rests on PI or PT that failed the PI = PT + SS check")
    citations: list[str]


class ConsistencyCheck(_R):
    pi: float
    pt: float
    ss: float
    difference_deg: float = Field(description="PI - (PT + SS)")
    tolerance_deg: float
    consistent: bool
    tolerance_from_evidence: bool
    message: str
    citations: list[str]


class LordosisTarget(_R):
    formula: str
    label: str
    expression: str
    population: str
    kind: Literal["point", "range", "minimum"]
    status: Literal["computed", "missing_input", "withheld"]
    target_deg: float | None = Field(None, description="Point target, or the minimum for kind=minimum")
    low_deg: float | None = Field(None, description="Lower end for kind=range")
    high_deg: float | None = Field(None, description="Upper end for kind=range")
    correction_min_deg: float | None = Field(
        None, description="Least lordosis to add (negative = lordosis above the target)"
    )
    correction_max_deg: float | None = Field(None, description="Most lordosis to add; equals the minimum for a point")
    missing_inputs: list[str] = Field(default_factory=list)
    note: str | None = None
    quality: Literal["primary", "secondary"]
    citations: list[str]


class PiClassMatch(_R):
    pi_class: str
    published_range: str
    pt_theoretical_deg: float
    ll_theoretical_deg: float


class PiClassResult(_R):
    pi: float
    matches: list[PiClassMatch]
    between_rows: bool
    note: str | None
    citations: list[str]


class CorrectionSummary(_R):
    least_deg: float = Field(description="Smallest lordosis correction any computed formula asks for")
    most_deg: float = Field(description="Largest lordosis correction any computed formula asks for")
    spread_deg: float
    formulas: int
    statement: str


class OsteotomyOption(_R):
    osteotomy: str
    label: str
    grade: str | None
    correction_per_level: str
    levels_min: int | None = Field(None, description="Levels for the least correction at the best per-level figure")
    levels_max: int | None = Field(None, description="Levels for the most correction at the worst per-level figure")
    note: str
    requirements: str
    citations: list[str]


class AlignmentResult(_R):
    """Sagittal alignment read against the SRS-Schwab classification and published lordosis targets."""

    status: Literal["complete", "incomplete", "inconsistent"]
    measured: dict[str, float | None] = Field(description="pi, ll, pt, ss, sva_mm, tk, age as given")
    modifiers: list[ModifierResult]
    consistency: ConsistencyCheck | None
    targets: list[LordosisTarget]
    pi_class: PiClassResult | None
    correction: CorrectionSummary | None
    osteotomies: list[OsteotomyOption]
    regional_note: str
    warnings: list[str]
    citations: list[str]


# -- revision plan -----------------------------------------------------------------------


class ApproachResult(_R):
    option: str
    label: str
    considerations: str
    inputs: list[str]
    citations: list[str]


class TimingAdvice(_R):
    ready: bool = Field(description="True when no recorded modifiable risk blocks an elective revision")
    summary: str
    targets: list[str] = Field(description="Optimisation targets to meet first, from the assessment's risk factors")
    rule_ids: list[str]
    citations: list[str]


class LevelsAdvice(_R):
    levels: list[str]
    basis: str
    note: str


class BoneQualityAdvice(_R):
    status: Literal["poor", "not_poor", "unknown"]
    dexa_t_score: float | None
    ct_hounsfield: float | None
    vitamin_d_ng_ml: float | None
    thresholds: str
    advice: str
    augmentation: str
    citations: list[str]


class OutcomeEstimate(_R):
    prior_operations: int
    pass_percent: float | None
    odds_ratio_not_pass: float | None
    statement: str
    figures: list[str]
    uncertainty: str
    citations: list[str]


class RevisionPlan(_R):
    """A revision plan for the leading cause; a starting point for the surgeon, not an order."""

    cause: str
    cause_label: str
    provisional: bool = Field(description="True when the assessment's decision is not (yet) revision")
    decision_category: str
    timing: TimingAdvice
    approaches: list[ApproachResult]
    levels: LevelsAdvice
    bone_quality: BoneQualityAdvice
    expected_outcomes: list[str]
    by_prior_operations: OutcomeEstimate | None
    uncertainty: str
    evidence_gaps: list[str]
    citations: list[str]


# -- order set ---------------------------------------------------------------------------


class OrderLine(_R):
    item: str
    category: str
    title: str
    choose_one_of: str | None = Field(None, description="Lines sharing this group are alternatives: order one")
    medication: str | None = None
    rxnorm: str | None = None
    dose_text: str | None = Field(None, description="The dose for this patient, with how it was worked out")
    dose_amount: float | None = None
    dose_unit: str | None = None
    route: str | None = None
    infusion: str | None = Field(None, description="Shortest infusion time for this dose, with the rule")
    timing: str | None = None
    redosing: str | None = None
    duration: str | None = None
    duration_national: str | None = Field(
        None, description="National guidance on duration, shown when a local pack's duration differs"
    )
    instruction: str
    reason: str | None = Field(None, description="Why this item applies to this patient")
    inputs: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Cautions that apply to this patient")
    evidence: str
    evidence_gap: str | None = None
    citations: list[str]


class OrderSet(_R):
    protocol: str
    label: str
    version: str
    knowledge_sources: list[str]
    lines: list[OrderLine]
    not_applicable: list[str] = Field(description="Items of the protocol that do not apply, with the reason")
    warnings: list[str]
    local_note: str
    citations: list[str]

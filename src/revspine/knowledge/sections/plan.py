"""Knowledge-pack sections for planning: alignment rules, lordosis formulas, osteotomies,
revision strategies by cause, bone-quality thresholds, outcomes by prior operations and the
peri-operative order set.

Each model forbids unknown keys and carries a ``citations`` list, so the pack loader checks
every id against the citations registry. A hospital's local pack overrides any entry by id.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...errors import Problem
from ..loader import register_checker, register_section
from ..schema import Condition

__all__ = [
    "CitedNote",
    "ConsistencyRule",
    "Interval",
    "ModifierBand",
    "SagittalModifier",
    "AlignmentRules",
    "LordosisFormula",
    "PiClassRow",
    "PiClassTable",
    "Osteotomy",
    "ApproachOption",
    "OutcomeFigure",
    "RevisionStrategy",
    "BoneQualityRules",
    "PriorOperationRow",
    "PriorOperationOutcomes",
    "ConditionalNote",
    "Dose",
    "OrderItem",
    "OrderSetProtocol",
]

Cited = list[str]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- sagittal alignment ------------------------------------------------------------------


class Interval(_Entry):
    """A stretch of the number line; ``*_inclusive`` says which side owns a boundary value. None = open."""

    lo: float | None = None
    lo_inclusive: bool = True
    hi: float | None = None
    hi_inclusive: bool = True

    def contains(self, value: float) -> bool:
        if self.lo is not None and (value < self.lo or (value == self.lo and not self.lo_inclusive)):
            return False
        if self.hi is not None and (value > self.hi or (value == self.hi and not self.hi_inclusive)):
            return False
        return True


class ModifierBand(Interval):
    """One grade of a modifier."""

    grade: Literal["0", "+", "++"]
    label: str


class SagittalModifier(_Entry):
    parameter: Literal["pi_minus_ll", "sva_mm", "pt"]
    label: str
    unit: str
    bands: list[ModifierBand] = Field(min_length=3, max_length=3)
    boundary_note: str = Field(description="Which grade a value exactly on a published boundary belongs to, and why")
    citations: Cited = Field(min_length=1)

    @model_validator(mode="after")
    def _tiles(self) -> SagittalModifier:
        # The bands must tile the line: each boundary belongs to exactly one band.
        for a, b in zip(self.bands, self.bands[1:], strict=False):
            if a.hi is None or b.lo is None or a.hi != b.lo or a.hi_inclusive == b.lo_inclusive:
                raise ValueError(f"bands {a.grade} and {b.grade} must meet at one boundary owned by one of them")
        return self


class CitedNote(_Entry):
    text: str
    citations: Cited = Field(min_length=1)


class ConsistencyRule(_Entry):
    tolerance_deg: float = Field(gt=0, description="Largest accepted |PI - (PT + SS)|")
    basis: str
    from_evidence: bool = Field(
        description="False when no published tolerance was found and the value is a documented convention"
    )
    citations: Cited = Field(min_length=1)


class AlignmentRules(_Entry):
    modifiers: list[SagittalModifier] = Field(min_length=3, max_length=3)
    consistency: ConsistencyRule
    regional: CitedNote = Field(description="What a degree of lordosis buys, by region")
    citations: Cited = Field(min_length=1)


class LordosisFormula(_Entry):
    """A published target lumbar lordosis: LL = const + pi*PI + age*Age + tk*TK (± half_range)."""

    id: str
    label: str
    expression: str = Field(description="The formula as published, for display")
    kind: Literal["point", "range", "minimum"]
    const: float = 0.0
    pi: float = 0.0
    age: float = 0.0
    tk: float = 0.0
    half_range: float | None = Field(None, ge=0, description="For kind=range: the target is value ± half_range")
    population: str = Field(description="Who the formula was derived from")
    note: str | None = None
    citations: Cited = Field(min_length=1)

    @model_validator(mode="after")
    def _range(self) -> LordosisFormula:
        if (self.kind == "range") != (self.half_range is not None):
            raise ValueError("kind 'range' needs half_range, and only it")
        return self

    def needs(self) -> list[str]:
        return [n for n, c in (("pi", self.pi), ("age", self.age), ("tk", self.tk)) if c != 0]


class PiClassRow(Interval):
    pi_class: str
    published_range: str = Field(description="The PI range as printed in the source")
    pt_theoretical: float
    ll_offset: float = Field(description="Theoretical LL = PI + ll_offset")


class PiClassTable(_Entry):
    label: str
    rows: list[PiClassRow] = Field(min_length=2)
    population: str
    gap_note: str = Field(description="How values between published rows are handled")
    citations: Cited = Field(min_length=1)


class Osteotomy(_Entry):
    id: str
    label: str
    schwab_grade: str | None = Field(None, description="Grade in the anatomical osteotomy classification")
    correction_min_deg: float | None = Field(None, ge=0, description="Per level; None where no number was found")
    correction_max_deg: float | None = Field(None, ge=0)
    missing_evidence: str | None = Field(None, description="Said in the output when no correction per level exists")
    requirements: str
    citations: Cited = Field(min_length=1)

    @model_validator(mode="after")
    def _numbers(self) -> Osteotomy:
        if (self.correction_min_deg is None) != (self.correction_max_deg is None):
            raise ValueError("give both correction_min_deg and correction_max_deg, or neither")
        if self.correction_min_deg is None and not self.missing_evidence:
            raise ValueError("without a correction per level, say so in missing_evidence")
        if self.correction_min_deg is not None and self.correction_max_deg is not None:
            if self.correction_min_deg > self.correction_max_deg:
                raise ValueError("correction_min_deg exceeds correction_max_deg")
        return self


# -- revision plan ----------------------------------------------------------------------


class ApproachOption(_Entry):
    id: str
    label: str
    considerations: str
    when: Condition | None = Field(None, description="Shown only when these findings hold; absent = always")
    citations: Cited = Field(min_length=1)


class OutcomeFigure(_Entry):
    statement: str
    population: str
    citations: Cited = Field(min_length=1)


class RevisionStrategy(_Entry):
    id: str = Field(description="The cause id this strategy is for")
    label: str
    levels_rule: Literal["index", "adjacent", "imaging"]
    imaging_codes: list[str] = Field(default_factory=list, description="Imaging codes whose levels locate it")
    levels_note: str
    approaches: list[ApproachOption] = Field(min_length=1)
    expected_outcomes: list[OutcomeFigure] = Field(default_factory=list)
    uncertainty: str
    evidence_gaps: list[str] = Field(default_factory=list)
    citations: Cited = Field(min_length=1)


class BoneQualityRules(_Entry):
    dexa_t_score_below: float
    ct_hu_below: float
    vitamin_d_below_ng_ml: float
    meaning: str
    when_poor: str
    screening: str
    opportunistic: CitedNote
    augmentation: CitedNote
    citations: Cited = Field(min_length=1)


class PriorOperationRow(_Entry):
    prior_operations: int = Field(ge=0, description="Previous lumbar operations; the last row means 'or more'")
    pass_percent: float | None = Field(None, ge=0, le=100)
    odds_ratio_not_pass: float | None = Field(None, gt=0)


class PriorOperationOutcomes(_Entry):
    label: str
    outcome_definition: str
    rows: list[PriorOperationRow] = Field(min_length=2)
    population: str
    other_figures: list[OutcomeFigure] = Field(default_factory=list)
    uncertainty: str
    citations: Cited = Field(min_length=1)


# -- peri-operative order set -------------------------------------------------------------


class Dose(_Entry):
    amount: float | None = Field(None, gt=0, description="Fixed amount in `unit`")
    per_kg: float | None = Field(None, gt=0, description="Weight-based amount in `unit` per kg")
    unit: str
    route: str
    heavy_weight_kg: float | None = Field(None, gt=0, description="At or above this weight, use heavy_amount")
    heavy_amount: float | None = Field(None, gt=0)
    weight_basis: Literal["actual", "dosing"] = Field(
        "actual", description="per_kg of actual body weight, or of a dosing weight the pharmacy works out"
    )
    max_amount: float | None = Field(None, gt=0, description="Largest single dose in `unit` (weight-based doses)")
    infusion_max_rate_per_min: float | None = Field(None, gt=0, description="Fastest infusion, `unit` per minute")
    infusion_min_minutes: int | None = Field(None, gt=0, description="Shortest infusion, minutes")

    @model_validator(mode="after")
    def _one(self) -> Dose:
        if (self.amount is None) == (self.per_kg is None):
            raise ValueError("give exactly one of amount and per_kg")
        if (self.heavy_weight_kg is None) != (self.heavy_amount is None):
            raise ValueError("heavy_weight_kg and heavy_amount go together")
        if self.max_amount is not None and self.per_kg is None:
            raise ValueError("max_amount caps a weight-based (per_kg) dose")
        return self


class ConditionalNote(_Entry):
    """A caution shown on an order line only when its condition holds (kidney function, allergy grade)."""

    when: Condition
    text: str
    citations: Cited = Field(min_length=1)


class OrderItem(_Entry):
    id: str
    order: int = Field(description="Position in the order set")
    enabled: bool = Field(True, description="A local pack switches an item off by overriding it with false")
    category: Literal[
        "antibiotic_prophylaxis", "vte_prophylaxis", "nutrition", "bracing", "smoking", "physical_therapy",
        "bone_health",
    ]
    title: str
    when: Condition | None = Field(None, description="The item applies only when this holds; absent = always")
    when_reason: str | None = None
    choose_one_of: str | None = Field(None, description="Items sharing this group are alternatives: order one")
    medication: str | None = Field(None, description="Generic name, for medication items")
    rxnorm: str | None = Field(None, description="RxNorm ingredient code (RXCUI), when verified")
    dose: Dose | None = None
    timing: str | None = None
    redosing: str | None = None
    duration: str | None = None
    instruction: str
    notes: list[ConditionalNote] = Field(default_factory=list, description="Cautions shown when their condition holds")
    evidence: str
    evidence_gap: str | None = None
    expert_assigned: str | None = Field(None, description="Set when no study or guideline supports the item: why")
    citations: Cited = Field(min_length=1)


class OrderSetProtocol(_Entry):
    """The protocol's identity; its items are the ``order_items`` section, overridable one by one."""

    id: str
    label: str
    version: str
    description: str
    local_note: str
    prophylaxis_duration: CitedNote | None = Field(
        None, description="National guidance on how long antibiotic prophylaxis runs; shown beside a local change"
    )
    citations: Cited = Field(min_length=1)


for _name, _model, _many in (
    ("alignment_rules", AlignmentRules, False),
    ("lordosis_formulas", LordosisFormula, True),
    ("pi_class_table", PiClassTable, False),
    ("osteotomies", Osteotomy, True),
    ("revision_strategies", RevisionStrategy, True),
    ("bone_quality", BoneQualityRules, False),
    ("prior_operation_outcomes", PriorOperationOutcomes, False),
    ("order_set", OrderSetProtocol, False),
    ("order_items", OrderItem, True),
):
    register_section(_name, _model, many=_many)


@register_checker
def _check_plan_references(sections: dict[str, Any]) -> list[Problem]:
    """Strategies name real causes; order items and the protocol come together. (Their imaging codes are
    checked against the case model by the engine's pack check, revspine.engine.predicates.)"""
    problems: list[Problem] = []
    causes = sections.get("causes", {})
    for sid in sections.get("revision_strategies", {}):
        if sid not in causes:
            problems.append(Problem(f"revision_strategies[{sid}]", f"'{sid}' is not a cause id in this pack"))
    if sections.get("order_items") and "order_set" not in sections:
        problems.append(Problem("order_items", "order items need an order_set entry describing the protocol"))
    return problems

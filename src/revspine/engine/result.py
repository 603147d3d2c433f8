"""The engine's parts of the Assessment (revspine.pipeline.result): red flags, causes, work-up, decision.

The CLI, the web page, its JSON twin, the PDF and the FHIR output are all views of
this object. Every conclusion in it names the rule it came from, the citations it
rests on and the inputs it used.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .._construct import make
from ..knowledge.refs import CitationRef

__all__ = [
    "Versions",
    "CitationRef",
    "EvidenceItem",
    "TimingResult",
    "RedFlagResult",
    "CauseResult",
    "ExcludedCause",
    "LabReading",
    "WorkupItem",
    "WorkupReason",
    "RiskFactorResult",
    "NonSurgicalResult",
    "Decision",
    "IndexSurgery",
    "make",
]


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versions(_R):
    engine: str
    knowledge: str
    knowledge_id: str
    knowledge_sources: list[str]


class EvidenceItem(_R):
    rule_id: str = Field(description="<cause>.<finding> or <cause>.timing.<window>")
    finding: str
    label: str
    kind: Literal["likelihood_ratio", "ordinal"]
    lr: float | None = Field(None, description="Published likelihood ratio, when kind is likelihood_ratio")
    weight: int | None = Field(None, description="Ordinal band, when kind is ordinal")
    factor: float = Field(description="Multiplier applied to the odds")
    reason: str
    status: Literal["present", "absent"] = Field(
        "present",
        description="present: the finding was found; absent: looked for (examined, asked, imaged) and not found",
    )
    tier: Literal["confirmatory", "supportive", "compatible", "risk", "timing", "against"] = Field(
        "supportive",
        description="What kind of support a present finding gives (risk and timing adjust the prior only; "
        "against: a finding that lowers the odds)",
    )
    basis: str | None = Field(None, description="For an ordinal band: expert-assigned, and the source of its direction")
    inputs: list[str] = Field(description="The case inputs the finding used, with their JSON paths")
    citations: list[str]


class TimingResult(_R):
    window: Literal["early", "intermediate", "late"] | None
    label: str
    days_after_surgery: int | None
    basis: Literal["symptom_onset", "assessment_date", "none"]
    boundary: bool = Field(description="True when the day falls where the sources leave a gap")
    note: str
    read_at_day: int | None = Field(
        None, description="The day after surgery that placed the window: the onset, or the assessment day when "
        "symptoms that began in the first weeks persist months later"
    )
    citations: list[str]


class IndexSurgery(_R):
    position: int
    procedure: str
    region: str
    levels: list[str]
    date: Date
    days_since: int


class RedFlagResult(_R):
    rule_id: str
    label: str
    urgency: Literal["emergency", "urgent"]
    action: str
    inputs: list[str]
    citations: list[str]
    points_to: list[str] = Field(
        default_factory=list, description="Cause ids this flag points to; the ranking keeps them in its top three"
    )


class CauseResult(_R):
    """One cause's place in the differential. Immutable (frozen, tuples): the engine shares the result of a cause
    that no evidence item moved between the cases that rank it alike (``differential._result``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: str
    label: str
    kind: Literal["cause", "mimic"]
    rank: int
    score: float = Field(
        description=(
            "Posterior probability of this cause computed on its own (prior share x likelihood ratios of the findings "
            "present or absent); causes can coexist, so scores are not a share that sums to 1 across causes; "
            "not calibrated"
        )
    )
    prior: float
    prior_basis: str
    applicability: Literal["applies", "unknown"]
    supporting: tuple[EvidenceItem, ...]
    opposing: tuple[EvidenceItem, ...]
    evidence_kinds: tuple[Literal["likelihood_ratio", "ordinal"], ...]
    correctable_by_surgery: Literal["yes", "no", "sometimes"]
    icd10cm: tuple[str, ...]
    workup_missing: tuple[str, ...]
    citations: tuple[str, ...]
    tier: Literal["confirmatory", "supportive", "compatible", "none"] = Field(
        "none",
        description=(
            "Strongest support present: confirmatory objective evidence, supportive, compatible only, or none "
            "(prior, timing and risk factors alone). Causes rank by tier first, then by score"
        ),
    )
    red_flag: bool = Field(False, description="A red flag points to this cause; it is kept in the top three")


class ExcludedCause(_R):
    """A cause set aside for this case. Immutable: one per cause, built with the pack and shared by every assessment
    (``differential``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: str
    label: str
    reason: str


class LabReading(_R):
    rule_id: str
    test: str
    value: float
    unit: str
    date: Date
    day_after_surgery: int | None
    status: str
    reading: str
    threshold: float | None
    input: str
    citations: list[str]
    comparator: str = Field("=", description="As the laboratory reported the value: '<' with value 5 means below 5")


class WorkupReason(_R):
    rule_id: str
    reason: str
    citations: list[str]
    for_test: str | None = Field(
        None, description="Set when this reason belongs to another test this item also covers (e.g. plain radiographs)"
    )


class WorkupItem(_R):
    test: str
    label: str
    priority: int
    before_revision: bool
    reasons: list[WorkupReason]
    separates: list[str] = Field(
        default_factory=list, description="Cause ids among the leading candidates that this test confirms or excludes"
    )
    before_revision_reason: str | None = Field(
        None,
        description=(
            "Why the test belongs before any revision; once a lesion is confirmed the decision lists these items "
            "as a pre-operative checklist instead of waiting on them"
        ),
    )


class RiskFactorResult(_R):
    rule_id: str
    label: str
    modifiable: bool
    target: str | None
    effect: str
    blocks_revision_until_met: bool
    inputs: list[str]
    citations: list[str]
    advisory_when_never_deferred: bool = Field(
        False,
        description=(
            "Advisory only (optimised alongside, never a reason to wait) when the lead cause is never deferred: "
            "infection, a progressive deficit, instability with neural compromise"
        ),
    )
    advisory_note: str | None = Field(None, description="What to do with this risk when it is advisory only")
    caveats: list[str] = Field(
        default_factory=list,
        description="How the risk's test or target reads differently here (e.g. on nicotine replacement)",
    )


class NonSurgicalResult(_R):
    """A non-surgical option the decision weighs. Immutable: one per option, built with the pack and shared by every
    assessment (``rules``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    option: str
    label: str
    reason: str
    citations: tuple[str, ...]


class Decision(_R):
    category: Literal[
        "urgent", "revision", "revision_after_optimisation", "non_surgical", "workup_first", "not_applicable"
    ]
    rule_id: str
    summary: str
    reasons: list[str]
    non_surgical_options: list[NonSurgicalResult]
    citations: list[str]
    disclaimer: str

"""The parts of an assessment page: one documented pydantic model per section.

Each field carries a description; ``docs/views.md`` is generated from them and a test
keeps it up to date. The values are copied from the Assessment (never recomputed) plus
labels looked up in the knowledge pack so that a reader does not need the pack.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ViewModel",
    "SectionRef",
    "IndexSurgeryView",
    "RedFlagView",
    "TimingView",
    "EvidenceView",
    "WorkupRef",
    "CauseView",
    "ExcludedCauseView",
    "LabView",
    "WorkupReasonView",
    "WorkupView",
    "RiskFactorView",
    "NonSurgicalView",
    "DecisionView",
    "VersionsView",
    "CitationView",
]


class ViewModel(BaseModel):
    """Base of every view object: unknown keys forbidden, frozen once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Citations = list[str]


def _cites(what: str) -> Any:
    return Field(description=f"Citation ids for {what}; the text is in the view's `citations` list")


class SectionRef(ViewModel):
    id: str = Field(description="Anchor id of the section on the page (`#id`)")
    title: str = Field(description="Heading of the section, as printed")


class IndexSurgeryView(ViewModel):
    position: int = Field(description="Index of the operation in the case's `surgeries` list")
    procedure: str = Field(description="Procedure code from the case, e.g. `tlif`")
    region: str = Field(description="Spinal region: cervical, thoracic or lumbar")
    levels: list[str] = Field(description="Operated motion segments, e.g. `L4-L5`")
    date: Date = Field(description="Date of the operation")
    days_since: int = Field(description="Days from the operation to the assessment date")


class RedFlagView(ViewModel):
    rule_id: str = Field(description="Id of the red-flag rule in the knowledge pack")
    label: str = Field(description="What was found")
    urgency: Literal["emergency", "urgent"] = Field(description="How the pack grades the flag: `emergency` or `urgent`")
    action: str = Field(description="What to do now")
    inputs: list[str] = Field(description="The case inputs that raised the flag, with their JSON paths")
    citations: Citations = _cites("the red flag")


class TimingView(ViewModel):
    window: Literal["early", "intermediate", "late"] | None = Field(
        description="Window of symptom onset after the index operation; null when it cannot be placed"
    )
    label: str = Field(description="The window's label from the knowledge pack, or why there is none")
    days_after_surgery: int | None = Field(description="Day of symptom onset counted from the index operation")
    basis: Literal["symptom_onset", "assessment_date", "none"] = Field(description="What the day count is based on")
    boundary: bool = Field(description="True when the day falls in the gap the sources leave between two windows")
    note: str = Field(description="Caveat about the placement (boundary, missing onset); empty when none")
    citations: Citations = _cites("the timing windows")


class EvidenceView(ViewModel):
    rule_id: str = Field(description="`<cause>.<finding>` or `<cause>.timing.<window>`")
    finding: str = Field(description="Id of the finding in the knowledge pack")
    label: str = Field(description="The finding, in words")
    direction: Literal["for", "against"] = Field(description="`for` raises the cause's odds, `against` lowers them")
    kind: Literal["likelihood_ratio", "ordinal"] = Field(
        description="`likelihood_ratio` when a published LR exists, else `ordinal` (an expert band)"
    )
    lr: float | None = Field(description="Published likelihood ratio, when kind is likelihood_ratio")
    weight: int | None = Field(description="Ordinal band -3..+3, when kind is ordinal")
    band: str | None = Field(description="Words of the ordinal band from the pack's scoring, when kind is ordinal")
    factor: float = Field(description="Multiplier applied to the cause's odds")
    reason: str = Field(description="Why this finding bears on this cause")
    inputs: list[str] = Field(description="The case inputs the finding used, with their JSON paths")
    citations: Citations = _cites("this piece of evidence")


class WorkupRef(ViewModel):
    test: str = Field(description="Id of the work-up test in the knowledge pack")
    label: str = Field(description="The test, in words")


class CauseView(ViewModel):
    rank: int = Field(description="Position in the ranked list, 1 = leading")
    cause: str = Field(description="Id of the cause in the knowledge pack")
    label: str = Field(description="The cause, in words")
    kind: Literal["cause", "mimic"] = Field(description="`cause` of failed surgery, or non-spinal/systemic `mimic`")
    score: float = Field(description="Evidence-weighted score in 0..1 used for ranking; not a calibrated probability")
    prior: float = Field(description="Starting share before any finding, from the cited series")
    prior_basis: str = Field(description="The population and figure the prior comes from")
    applicability: Literal["applies", "unknown"] = Field(
        description="`unknown` when the case lacks what is needed to tell whether the cause can apply"
    )
    correctable_by_surgery: Literal["yes", "no", "sometimes"] = Field(
        description="Whether revision surgery can correct this cause, per the pack"
    )
    supporting: list[EvidenceView] = Field(description="Findings present that raise the odds, strongest first")
    opposing: list[EvidenceView] = Field(description="Findings present that lower the odds")
    evidence_kinds: list[Literal["likelihood_ratio", "ordinal"]] = Field(
        description="Kinds of evidence behind the score (published LRs, ordinal bands or both)"
    )
    icd10cm: list[str] = Field(description="ICD-10-CM codes for the cause")
    workup_missing: list[WorkupRef] = Field(description="Tests that would confirm or exclude it and are not done")
    citations: Citations = _cites("the cause, its prior and its evidence")


class ExcludedCauseView(ViewModel):
    cause: str = Field(description="Id of the cause in the knowledge pack")
    label: str = Field(description="The cause, in words")
    reason: str = Field(description="Why it does not apply to this case")


class LabView(ViewModel):
    rule_id: str = Field(description="`labs.<test>.<status>`: the lab rule that read the value")
    test: str = Field(description="Lab test id, e.g. `crp`")
    label: str = Field(description="The test, in words (from the pack)")
    value: float = Field(description="Value in the canonical unit")
    comparator: str = Field("=", description="As the laboratory reported it: `<` with value 5 means below 5")
    unit: str = Field(description="Canonical unit of the value")
    date: Date = Field(description="Date the sample was taken")
    day_after_surgery: int | None = Field(description="Days from the index operation to the sample; negative before it")
    status: str = Field(
        description=(
            "normal, not_interpreted (no threshold in the pack), raised, raised_expected, "
            "raised_beyond_expected, second_rise or low"
        )
    )
    status_label: str = Field(description="The status, in words")
    alert: bool = Field(description="True when the reading needs attention (not normal and not an expected rise)")
    reading: str = Field(description="What the value means on that day after surgery")
    threshold: float | None = Field(description="The threshold the value was read against, in the canonical unit")
    input: str = Field(description="JSON path of the lab in the case, e.g. `labs[0]`")
    citations: Citations = _cites("the threshold and the post-operative kinetics")


class WorkupReasonView(ViewModel):
    rule_id: str = Field(description="Id of the work-up rule that asks for the test")
    reason: str = Field(description="Why the test is needed for this case")
    citations: Citations = _cites("the reason")


class WorkupView(ViewModel):
    order: int = Field(description="Position in the checklist, 1 = do first")
    test: str = Field(description="Id of the test in the knowledge pack")
    label: str = Field(description="The test, in words")
    priority: int = Field(description="Priority from the rule, 1 = do first")
    before_revision: bool = Field(description="True when the test must be done before any revision")
    reasons: list[WorkupReasonView] = Field(description="Every rule that asks for it, with its reason")


class RiskFactorView(ViewModel):
    rule_id: str = Field(description="Id of the risk-factor rule in the knowledge pack")
    label: str = Field(description="The risk factor, in words")
    modifiable: bool = Field(description="True when it can be changed before surgery")
    target: str | None = Field(description="What to reach before revision, when there is a target")
    effect: str = Field(description="What the factor does to the outcome of surgery")
    blocks_revision_until_met: bool = Field(description="True when elective revision should wait for the target")
    inputs: list[str] = Field(description="The case inputs that show the risk factor, with their JSON paths")
    citations: Citations = _cites("the effect and the target")


class NonSurgicalView(ViewModel):
    rule_id: str = Field(description="Id of the non-surgical option rule")
    option: str = Field(description="Id of the option")
    label: str = Field(description="The option, in words")
    reason: str = Field(description="Why it fits this case")
    citations: Citations = _cites("the option")


class DecisionView(ViewModel):
    category: Literal[
        "urgent", "revision", "revision_after_optimisation", "non_surgical", "workup_first", "not_applicable"
    ] = Field(
        description="Decision category from the first decision rule that matched"
    )
    headline: str = Field(description="The category, in words, as printed")
    rule_id: str = Field(description="Id of the decision rule that matched")
    summary: str = Field(description="One line: what the rule concluded for this case")
    reasons: list[str] = Field(description="Why, one line each")
    non_surgical_options: list[NonSurgicalView] = Field(description="Options that fit, whatever the decision")
    citations: Citations = _cites("the decision rule")
    disclaimer: str = Field(description="It supports a clinician's decision; it does not make it")


class VersionsView(ViewModel):
    engine: str = Field(description="revspine engine version that produced the assessment")
    knowledge: str = Field(description="Version of the knowledge pack")
    knowledge_id: str = Field(description="Id of the knowledge pack (a local pack has its own)")
    knowledge_sources: list[str] = Field(description="Every pack layered in, `id@version`, built-in first")


class CitationView(ViewModel):
    id: str = Field(description="Citation id, as referred to by every section")
    text: str = Field(description="Authors, title, source, year")
    url: str | None = Field(description="Link to the source (DOI or page), when known")
    quality: Literal["primary", "secondary"] = Field(description="`primary` study or `secondary` summary")

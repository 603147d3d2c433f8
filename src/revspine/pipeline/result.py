"""The Assessment: the one documented data object every surface renders.

The CLI, the web page, its JSON twin, the PDF and the FHIR output are all views of
this object. Every conclusion in it names the rule it came from, the citations it
rests on and the inputs it used. The engine's parts are in revspine.engine.result.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.result import (
    CauseResult,
    Decision,
    ExcludedCause,
    IndexSurgery,
    LabReading,
    RedFlagResult,
    RiskFactorResult,
    TimingResult,
    Versions,
    WorkupItem,
)
from ..instruments.models import InstrumentsResult
from ..knowledge.refs import CitationRef
from ..patient.models import PatientExplanation
from ..plan.models import AlignmentResult, OrderSet, RevisionPlan

__all__ = ["Assessment"]


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Assessment(_R):
    """The result of assessing one case against one knowledge pack."""

    versions: Versions
    case_id: str | None
    assessment_date: Date
    applicability: Literal["applies", "not_applicable"] = Field(
        "applies",
        description="not_applicable: no prior spine operation is recorded, so the failed-surgery pathway does not "
        "apply; no differential is ranked and the decision says why (red flags are still evaluated)",
    )
    index_surgery: IndexSurgery | None
    timing_window: TimingResult
    red_flags: list[RedFlagResult]
    differential: list[CauseResult] = Field(description="Causes of failure, best first")
    mimics: list[CauseResult] = Field(description="Non-spinal and systemic mimics still to exclude, best first")
    leading: str | None = Field(
        None, description="The leading cause or mimic (id); None while no cause has a supporting finding"
    )
    leading_note: str = Field("", description="Why this lead, or 'no leading cause yet' and the tests that separate")
    not_applicable: list[ExcludedCause]
    labs: list[LabReading]
    workup: list[WorkupItem] = Field(description="Missing work-up, in the order to do it")
    workup_deferred: list[WorkupItem] = Field(
        default_factory=list,
        description="Work-up the decision defers (e.g. during the expected post-operative course), in order",
    )
    risk_factors: list[RiskFactorResult]
    decision: Decision
    uncertainties: list[str]
    alignment: AlignmentResult | None = Field(
        None, description="Sagittal alignment: Schwab modifiers, lordosis targets, osteotomies, SVG (when measured)"
    )
    revision_plan: RevisionPlan | None = Field(
        None, description="Plan for the leading cause when another operation could correct it"
    )
    order_set: OrderSet | None = Field(None, description="Peri-operative orders, when a revision plan exists")
    instruments: InstrumentsResult | None = Field(
        None, description="Questionnaire scores, bands and outcome trends (when any are recorded)"
    )
    patient: PatientExplanation | None = Field(None, description="The plain-language explanation for the patient")
    unweighed: list[str] = Field(
        default_factory=list,
        description="Recorded, not weighed: codes and values in the case that no rule of this pack weighs "
        "(each as its JSON path and value); listed so that nothing recorded is silently dropped",
    )
    citations: dict[str, CitationRef]

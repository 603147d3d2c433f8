"""Schema of a population screen definition (the ``screens`` section of the knowledge pack).

A screen is data like every other rule of the pack: named concept sets (codes of one OMOP
domain, each cited; they may reuse the pack's FHIR value sets), the entry event, the inclusion
rules in order, the exclusions with their windows, the red-flag fast lane and the terms of the
priority score. :mod:`revspine.screen.sql` compiles it to SQL for DuckDB and Spark;
:mod:`revspine.screen.circe` exports it as an OHDSI ATLAS cohort definition.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...errors import Problem
from ..loader import register_checker, register_section

__all__ = ["ScreenCode", "ConceptSet", "Window", "Evidence", "Exclusion", "PriorityTerm", "Timing", "Suppression",
           "ScreenDefinition", "Domain", "VOCABULARY_OF_SYSTEM"]

Domain = Literal["procedure", "condition", "measurement", "observation", "drug", "device"]
Vocabulary = Literal["ICD10CM", "ICD10PCS", "CPT4", "HCPCS", "SNOMED", "LOINC", "RxNorm"]

# FHIR code-system URI (the pack's value sets) -> OMOP vocabulary_id.
VOCABULARY_OF_SYSTEM: dict[str, str] = {
    "http://snomed.info/sct": "SNOMED",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
    "http://www.ama-assn.org/go/cpt": "CPT4",
    "http://loinc.org": "LOINC",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://www.cms.gov/Medicare/Coding/ICD10": "ICD10PCS",
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScreenCode(_Entry):
    vocabulary: Vocabulary
    code: str = Field(min_length=1)
    display: str | None = None
    match: Literal["exact", "prefix"] = Field(
        "exact", description="prefix: the code and every code that starts with it (an ICD category and its children)")


class ConceptSet(_Entry):
    id: str
    label: str
    domain: Domain
    codes: list[ScreenCode] = Field(default_factory=list)
    value_sets: list[str] = Field(default_factory=list, description="Pack value sets whose codes are included")
    names: list[str] = Field(default_factory=list, description=(
        "Ingredient names matched as words in the concept name or the source value (drugs)"))
    descendants: bool = Field(True, description="Include descendants through concept_ancestor when present")
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _not_empty(self) -> ConceptSet:
        if not (self.codes or self.value_sets or self.names):
            raise ValueError("a concept set needs codes, value_sets or names")
        return self


class Window(_Entry):
    """Days relative to the index operation (day 0); ``end: null`` = until the end of the data."""

    start: int
    end: int | None = None

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end is not None and self.end < self.start:
            raise ValueError("window end is before its start")
        return self


class Evidence(_Entry):
    """One flag of failure evidence: events of a concept set in a window, optionally with a value test."""

    id: str
    label: str
    concept_set: str
    window: Window
    kind: Literal["any", "value_at_least", "value_above", "days_supply_at_least"] = "any"
    threshold: float | None = None
    unit: str | None = Field(None, description="Canonical unit of the threshold (values in other units convert)")
    unit_scale: dict[str, float] = Field(default_factory=dict, description="unit -> factor to the canonical unit")
    red_flag: bool = Field(False, description="Puts the patient in the fast lane, whatever the time since surgery")
    counts_for_inclusion: bool = True
    reason: str
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _threshold(self) -> Evidence:
        if (self.kind == "any") != (self.threshold is None):
            raise ValueError("a threshold goes with kind value_at_least, value_above or days_supply_at_least only")
        return self


class Exclusion(_Entry):
    id: str
    label: str
    concept_set: str
    window: Window
    reason: str
    citations: list[str] = Field(min_length=1)


class PriorityTerm(_Entry):
    evidence: str
    points: int = Field(ge=0, le=1000)
    reason: str
    citations: list[str] = Field(min_length=1)


class Timing(_Entry):
    min_days_since_surgery: int = Field(ge=0, description="Days from the index operation to the screen date")
    min_follow_up_days: int = Field(ge=0, description="Days of observation after the index operation")
    reason: str
    citations: list[str] = Field(min_length=1)


class Suppression(_Entry):
    min_cell_count: int = Field(ge=1, description="Aggregate counts from 1 to min_cell_count - 1 are suppressed")
    reason: str
    citations: list[str] = Field(min_length=1)


class ScreenDefinition(_Entry):
    id: str
    version: str
    label: str
    description: str
    entry_concept_set: str
    timing: Timing
    concept_sets: list[ConceptSet]
    evidence: list[Evidence]
    exclusions: list[Exclusion]
    priority: list[PriorityTerm]
    suppression: Suppression
    citations: list[str] = Field(min_length=1)

    def concept_set(self, cid: str) -> ConceptSet:
        for c in self.concept_sets:
            if c.id == cid:
                return c
        raise KeyError(cid)

    @model_validator(mode="after")
    def _references(self) -> ScreenDefinition:
        sets = {c.id for c in self.concept_sets}
        if len(sets) != len(self.concept_sets):
            raise ValueError("concept set ids must be unique")
        named = [self.entry_concept_set, *(e.concept_set for e in self.evidence),
                 *(x.concept_set for x in self.exclusions)]
        unknown = sorted(set(named) - sets)
        if unknown:
            raise ValueError(f"unknown concept sets: {', '.join(unknown)}")
        ev = {e.id for e in self.evidence}
        if len(ev) != len(self.evidence):
            raise ValueError("evidence ids must be unique")
        bad = sorted({p.evidence for p in self.priority} - ev)
        if bad:
            raise ValueError(f"priority names unknown evidence: {', '.join(bad)}")
        return self


register_section("screens", ScreenDefinition)


@register_checker
def _value_sets_exist(sections: dict[str, Any]) -> list[Problem]:
    value_sets = sections.get("value_sets", {})
    problems: list[Problem] = []
    for sid, screen in sections.get("screens", {}).items():
        for cs in screen.concept_sets:
            for vs in cs.value_sets:
                if vs not in value_sets:
                    problems.append(Problem(f"screens[{sid}].concept_sets[{cs.id}]", f"names unknown value set '{vs}'"))
                elif value_sets[vs].system not in VOCABULARY_OF_SYSTEM:
                    problems.append(Problem(f"screens[{sid}].concept_sets[{cs.id}]",
                                            f"value set '{vs}' has a code system with no OMOP vocabulary"))
    return problems

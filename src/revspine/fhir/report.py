"""The mapping report: what the FHIR reader did with every resource it was given.

Nothing is dropped silently: each resource that did not become part of the case,
each value that was skipped and each assumption made while mapping is one
:class:`MappingNote` naming the resource, its JSON path in the input, the FHIR path
of the element and the reason. Recognised facts the case model has no field for
(a coded failed-back-surgery diagnosis, a spine operation without a date...) are
kept as :class:`ContextFact` so the CDS Hooks services and the reader can use them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["NoteStatus", "MappingNote", "ContextFact", "MappingReport"]

NoteStatus = Literal["mapped", "not_mapped", "skipped", "assumption", "warning"]

_SEVERITY = {"mapped": "information", "not_mapped": "information", "skipped": "information",
             "assumption": "warning", "warning": "warning"}
_ISSUE_CODE = {"mapped": "informational", "not_mapped": "not-supported", "skipped": "informational",
               "assumption": "informational", "warning": "incomplete"}


@dataclass(slots=True)
class MappingNote:
    """One thing the reader did, or could not do, with one resource or element."""

    status: NoteStatus
    resource_type: str
    resource_id: str | None
    path: str  # JSON path in the input document, e.g. entry[12].resource.valueQuantity.unit
    fhir_path: str  # e.g. Observation.valueQuantity.unit
    reason: str
    target: str | None = None  # the case field it became, e.g. labs[2] or risk_factors.diabetes
    code: str | None = None  # system|code of the coding concerned

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status, "resource_type": self.resource_type, "resource_id": self.resource_id,
            "path": self.path, "fhir_path": self.fhir_path, "reason": self.reason,
        }
        if self.target is not None:
            out["target"] = self.target
        if self.code is not None:
            out["code"] = self.code
        return out


@dataclass(slots=True)
class ContextFact:
    """A recognised coded fact that has no case field (e.g. tag ``fbss`` from ICD-10-CM M96.1)."""

    tag: str
    resource: str  # ResourceType/id
    code: str  # system|code
    display: str | None
    date: str | None  # ISO date when the source gives one
    current: bool  # False when the source is resolved / inactive

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "resource": self.resource, "code": self.code, "display": self.display,
                "date": self.date, "current": self.current}


@dataclass
class MappingReport:
    """Everything the reader did with one patient's resources."""

    source: str
    patient: str | None = None
    notes: list[MappingNote] = field(default_factory=list)
    context: list[ContextFact] = field(default_factory=list)
    resources: Counter[str] = field(default_factory=Counter)
    used: set[str] = field(default_factory=set)  # ResourceType/id of every resource the case drew on

    # -- recording -------------------------------------------------------------------------
    def note(self, status: NoteStatus, rtype: str, rid: str | None, path: str, fhir_path: str, reason: str,
             target: str | None = None, code: str | None = None) -> None:
        self.notes.append(MappingNote(status, rtype, rid, path, fhir_path, reason, target, code))

    # -- reading ---------------------------------------------------------------------------
    def by_status(self, status: NoteStatus) -> list[MappingNote]:
        return [n for n in self.notes if n.status == status]

    def has_tag(self, tag: str, *, current_only: bool = False) -> bool:
        return any(f.tag == tag and (f.current or not current_only) for f in self.context)

    def tags(self) -> set[str]:
        return {f.tag for f in self.context}

    def counts(self) -> dict[str, int]:
        return dict(Counter(n.status for n in self.notes))

    def summary(self) -> str:
        c = self.counts()
        total = sum(self.resources.values())
        return (f"{total} resources read; {len(self.used)} used in the case; "
                f"{c.get('not_mapped', 0)} not mapped, {c.get('skipped', 0)} skipped, "
                f"{c.get('assumption', 0)} assumptions, {c.get('warning', 0)} warnings")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "patient": self.patient,
            "summary": self.summary(),
            "resources": dict(self.resources),
            "counts": self.counts(),
            "context": [f.to_dict() for f in self.context],
            "notes": [n.to_dict() for n in self.notes],
        }

    def to_operation_outcome(self, *, include: tuple[NoteStatus, ...] = ("assumption", "warning", "skipped",
                                                                           "not_mapped")) -> dict[str, Any]:
        """The report as a FHIR R4 OperationOutcome (one issue per note, information or warning)."""
        issues: list[dict[str, Any]] = []
        for n in self.notes:
            if n.status not in include:
                continue
            where = f"{n.resource_type}/{n.resource_id}" if n.resource_id else n.resource_type
            issues.append({
                "severity": _SEVERITY[n.status],
                "code": _ISSUE_CODE[n.status],
                "details": {"text": f"{n.status.replace('_', ' ')}: {where}: {n.reason}"},
                "expression": [n.fhir_path],
            })
        if not issues:
            issues.append({"severity": "information", "code": "informational",
                           "details": {"text": self.summary()}})
        return {"resourceType": "OperationOutcome", "issue": issues}

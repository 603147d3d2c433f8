"""Assessment -> FHIR R4 Bundle (collection or transaction).

- RiskAssessment: the differential, one prediction per cause, qualitative (rank and the
  evidence for and against; the score is not a calibrated probability, so no
  probabilityDecimal is given), with the source resources as basis.
- DetectedIssue: one per red flag (emergency -> severity high, urgent -> moderate).
- CarePlan (intent proposal) whose activities are ServiceRequests for the missing
  work-up, coded with the pack's LOINC / CPT / SNOMED CT codes, and the non-surgical options.
- Device + Provenance: the engine and knowledge versions that produced it.
- OperationOutcome: the mapping report, when the case came from FHIR.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from ..case.model import Case
from ..engine.result import CauseResult
from ..knowledge.pack import KnowledgePack
from ..pipeline import Assessment
from ..settings import configured_pack
from .codes import CPT, ICD10CM, LOINC, SNOMED
from .report import MappingReport

__all__ = ["assessment_to_bundle", "REVSPINE_SYSTEM"]

REVSPINE_SYSTEM = "urn:revspine:fhir"
_SEVERITY = {"emergency": "high", "urgent": "moderate"}


def _uuid() -> str:
    return str(uuid.uuid4())


def _cause_concept(c: CauseResult, pack: KnowledgePack) -> dict[str, Any]:
    coding = [{"system": ICD10CM, "code": code} for code in c.icd10cm]
    cause = pack.causes.get(c.cause)
    if cause is not None:
        coding = [{"system": ICD10CM, "code": x.code, "display": x.display} for x in cause.icd10cm]
        coding += [{"system": SNOMED, "code": x.code, "display": x.display} for x in cause.snomed]
    coding.append({"system": f"{REVSPINE_SYSTEM}:cause", "code": c.cause, "display": c.label})
    return {"coding": coding, "text": c.label}


def _rationale(c: CauseResult, total: int) -> str:
    def items(ev: Sequence[Any]) -> str:
        return "; ".join(f"{e.label} ({e.rule_id}, cites {', '.join(e.citations)})" for e in ev) or "none"

    kind = "mimic" if c.kind == "mimic" else "cause"
    return (f"{kind} ranked {c.rank} of {total}; evidence-weighted score {c.score:.2f} (not a calibrated "
            f"probability; prior {c.prior:g}: {c.prior_basis}). For: {items(c.supporting)}. "
            f"Against: {items(c.opposing)}. Correctable by surgery: {c.correctable_by_surgery}.")


def _citation_note(a: Assessment, ids: list[str]) -> str:
    lines = []
    for cid in ids:
        ref = a.citations.get(cid)
        if ref is not None:
            lines.append(f"[{cid}] {ref.text}" + (f" {ref.url}" if ref.url else ""))
    return "\n".join(lines)


def _risk_assessment(a: Assessment, subject: dict[str, Any], basis: list[dict[str, Any]],
                     pack: KnowledgePack) -> dict[str, Any]:
    causes = [*a.differential, *a.mimics]
    cited = sorted({cid for c in causes for cid in c.citations})
    out: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": subject,
        "occurrenceDateTime": a.assessment_date.isoformat(),
        "code": {"text": "Causes of persistent or recurrent pain after spine surgery (PSPS type 2)"},
        "method": {"coding": [{"system": f"{REVSPINE_SYSTEM}:method", "code": "evidence-weighted-differential",
                               "display": "revspine evidence-weighted differential"}],
                   "text": f"revspine engine {a.versions.engine}, knowledge {a.versions.knowledge_id} "
                           f"{a.versions.knowledge}"},
        "prediction": [
            {"outcome": _cause_concept(c, pack),
             "qualitativeRisk": {"text": f"{'mimic' if c.kind == 'mimic' else 'cause'} ranked {c.rank} of "
                                         f"{len(a.differential) if c.kind == 'cause' else len(a.mimics)}"},
             "rationale": _rationale(c, len(a.differential) if c.kind == "cause" else len(a.mimics))}
            for c in causes
        ],
        "note": [{"text": a.decision.disclaimer}],
    }
    if basis:
        out["basis"] = basis
    if a.uncertainties:
        out["note"].append({"text": "Uncertainties: " + " ".join(a.uncertainties)})
    if cited:
        out["note"].append({"text": "Citations:\n" + _citation_note(a, cited)})
    if not out["prediction"]:
        del out["prediction"]
    return out


def _detected_issue(a: Assessment, flag: Any, subject: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "status": "final",
        "code": {"coding": [{"system": f"{REVSPINE_SYSTEM}:red-flag", "code": flag.rule_id, "display": flag.label}],
                 "text": flag.label},
        "severity": _SEVERITY[flag.urgency],
        "patient": subject,
        "identifiedDateTime": a.assessment_date.isoformat(),
        "detail": f"{flag.label}. {flag.action} (inputs: {', '.join(flag.inputs) or 'none'}; "
                  f"cites {', '.join(flag.citations)})",
    }
    url = next((a.citations[c].url for c in flag.citations if c in a.citations and a.citations[c].url), None)
    if url:
        out["reference"] = url
    return out


def _workup_request(a: Assessment, item: Any, subject: dict[str, Any], pack: KnowledgePack) -> dict[str, Any]:
    test = pack.workup_tests.get(item.test)
    coding: list[dict[str, Any]] = []
    if test is not None:
        coding += [{"system": LOINC, "code": c} for c in test.loinc]
        coding += [{"system": CPT, "code": c} for c in test.cpt]
        coding += [{"system": SNOMED, "code": c} for c in test.snomed]
    coding.append({"system": f"{REVSPINE_SYSTEM}:workup-test", "code": item.test, "display": item.label})
    cited = sorted({c for r in item.reasons for c in r.citations})
    return {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "priority": "routine",
        "code": {"coding": coding, "text": item.label},
        "subject": subject,
        "authoredOn": a.assessment_date.isoformat(),
        "reasonCode": [{"text": r.reason} for r in item.reasons],
        "note": [{"text": f"Work-up priority {item.priority} (1 = first)"
                          f"{'; needed before any revision' if item.before_revision else ''}. "
                          f"Rules: {', '.join(r.rule_id for r in item.reasons)}. Cites {', '.join(cited)}."}],
    }


def _care_plan(a: Assessment, subject: dict[str, Any], requests: list[str]) -> dict[str, Any]:
    d = a.decision
    activity: list[dict[str, Any]] = [{"reference": {"reference": ref}} for ref in requests]
    for o in d.non_surgical_options:
        activity.append({"detail": {"status": "not-started", "code": {"text": o.label},
                                    "description": f"{o.reason} (cites {', '.join(o.citations)})"}})
    out: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "proposal",
        "title": "revspine: work-up and plan before revision spine surgery",
        "description": d.summary,
        "subject": subject,
        "created": a.assessment_date.isoformat(),
        "category": [{"coding": [{"system": f"{REVSPINE_SYSTEM}:decision", "code": d.category,
                                  "display": d.category.replace("_", " ")}]}],
        "note": [{"text": " ".join(d.reasons) or d.summary}, {"text": d.disclaimer}],
    }
    if activity:
        out["activity"] = activity
    risks = [r for r in a.risk_factors if r.modifiable]
    if risks:
        out["note"].append({"text": "Risks to address first: " + "; ".join(
            f"{r.label}" + (f" (target: {r.target})" if r.target else "") for r in risks)})
    return out


def _device(a: Assessment) -> dict[str, Any]:
    v = a.versions
    return {
        "resourceType": "Device",
        "status": "active",
        "deviceName": [{"name": "revspine", "type": "user-friendly-name"}],
        "version": [
            {"type": {"text": "engine"}, "value": v.engine},
            {"type": {"text": "knowledge"},
             "value": f"{v.knowledge_id} {v.knowledge} ({', '.join(v.knowledge_sources)})"},
        ],
    }


def _subject(case: Case, subject: str | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    ref = subject or (case.case_id if case.case_id and case.case_id.startswith("Patient/") else None)
    if ref:
        return {"reference": ref}, None
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if case.patient.sex.value != "unknown":
        patient["gender"] = case.patient.sex.value
    if case.case_id:
        patient["identifier"] = [{"system": f"{REVSPINE_SYSTEM}:case-id", "value": case.case_id}]
    return {}, patient


def assessment_to_bundle(assessment: Assessment, case: Case, *, report: MappingReport | None = None,
                         bundle_type: Literal["collection", "transaction"] = "collection",
                         subject: str | None = None, pack: KnowledgePack | None = None,
                         now: datetime | None = None) -> dict[str, Any]:
    """The assessment as a FHIR R4 Bundle (a plain dict, ready for orjson)."""
    pack = pack or configured_pack()
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    a = assessment
    resources: list[dict[str, Any]] = []
    subject_ref, stub = _subject(case, subject)
    if stub is not None:
        stub_url = f"urn:uuid:{_uuid()}"
        subject_ref = {"reference": stub_url}
        resources.append({**stub, "_fullUrl": stub_url})
    basis = ([{"reference": ref} for ref in sorted(report.used) if "/" in ref and not ref.startswith("Patient")][:200]
             if report else [])
    resources.append(_risk_assessment(a, subject_ref, basis, pack))
    for flag in a.red_flags:
        resources.append(_detected_issue(a, flag, subject_ref))
    requests = []
    for item in a.workup:
        sr = _workup_request(a, item, subject_ref, pack)
        sr["_fullUrl"] = f"urn:uuid:{_uuid()}"
        requests.append(sr)
    resources.append(_care_plan(a, subject_ref, [sr["_fullUrl"] for sr in requests]))
    resources += requests
    if report is not None:
        resources.append(report.to_operation_outcome())
    device = _device(a)
    device["_fullUrl"] = f"urn:uuid:{_uuid()}"
    for r in resources:
        r.setdefault("_fullUrl", f"urn:uuid:{_uuid()}")
    provenance = {
        "resourceType": "Provenance",
        "target": [{"reference": r["_fullUrl"]} for r in resources if r["resourceType"] != "Patient"],
        "recorded": stamp,
        "agent": [{"who": {"reference": device["_fullUrl"], "display": f"revspine {a.versions.engine}"}}],
        "entity": [{"role": "source", "what": {
            "identifier": {"system": f"{REVSPINE_SYSTEM}:knowledge-pack",
                           "value": f"{a.versions.knowledge_id}@{a.versions.knowledge}"},
            "display": f"knowledge pack {a.versions.knowledge_id} {a.versions.knowledge}"}}],
        "_fullUrl": f"urn:uuid:{_uuid()}",
    }
    entries = []
    for r in [*resources, device, provenance]:
        full_url = r.pop("_fullUrl")
        r["id"] = full_url.removeprefix("urn:uuid:")
        entry: dict[str, Any] = {"fullUrl": full_url, "resource": r}
        if bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": r["resourceType"]}
        entries.append(entry)
    return {"resourceType": "Bundle", "id": _uuid(), "type": bundle_type,
            "timestamp": stamp, "entry": entries}

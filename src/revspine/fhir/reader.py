"""FHIR R4 -> Case: ``bundle_to_case`` for a Bundle of any type, ``ndjson_to_cases`` for bulk export.

Resources are walked as dicts (parsed with orjson), never validated as models, so a
2 MB Synthea bundle maps in a few milliseconds. Every resource ends up either in the
case or in the mapping report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from ..case.model import Case
from ..errors import InputError, Problem
from ..knowledge.pack import KnowledgePack
from .builder import CaseBuilder
from .codes import code_index
from .map_clinical import map_allergy, map_condition, map_patient, map_procedure
from .map_medications import map_medication
from .map_results import map_diagnostic_report, map_imaging_study, map_observation
from .report import MappingReport
from .walk import Ctx, Entry, Problems, iter_entries, patient_key

__all__ = ["bundle_to_case", "ndjson_to_cases", "resources_to_case", "PatientCase", "BulkResult", "load_json"]

_CLINICAL = ("Condition", "Procedure", "Observation", "DiagnosticReport", "ImagingStudy", "MedicationRequest",
             "MedicationStatement", "AllergyIntolerance")
_NOT_USED = {
    "ServiceRequest": "orders are read by the CDS Hooks order services, not mapped into the case",
    "QuestionnaireResponse": "questionnaire responses are not scored by revspine; send the total score as an "
                             "Observation (PHQ-9 44261-6, GAD-7 70274-6)",
    "OperationOutcome": "the sender reported a problem",
}


def load_json(raw: bytes | str, what: str = "input") -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the {what} is not valid JSON", [Problem(what, str(exc))]) from None


def _subject(res: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = res.get(key)
        if isinstance(ref, dict):
            return patient_key(ref.get("reference"))
    return None


def _patient_keys(e: Entry) -> set[str]:
    keys = {f"Patient/{e.rid}"} if e.rid else set()
    if e.full_url:
        keys.add(e.full_url)
        k = patient_key(e.full_url)
        if k:
            keys.add(k)
    return keys


def _operation_outcome(report: MappingReport, e: Entry) -> None:
    texts = []
    for issue in e.resource.get("issue", []) if isinstance(e.resource.get("issue"), list) else []:
        if isinstance(issue, dict):
            details: dict[str, Any] = issue["details"] if isinstance(issue.get("details"), dict) else {}
            said = issue.get("diagnostics") or details.get("text") or issue.get("code")
            texts.append(f"{issue.get('severity')}: {said}")
    report.note("warning", "OperationOutcome", e.rid, e.path, "OperationOutcome.issue",
                "the sender reported: " + ("; ".join(texts) or "an unspecified problem"))


def resources_to_case(entries: list[Entry], pack: KnowledgePack, report: MappingReport, *, today: date | None = None,
                      patient_id: str | None = None, problems: Problems | None = None) -> Case:
    """Map the resources of (at most) one patient to a case; resources of others are noted."""
    today = today or date.today()
    problems = problems or Problems()
    patients = [e for e in entries if e.rtype == "Patient"]
    chosen: Entry | None = None
    if patient_id is not None:
        want = patient_key(patient_id) or patient_id
        want = want if "/" in want or want.startswith("urn:") else f"Patient/{want}"
        chosen = next((p for p in patients if want in _patient_keys(p)), None)
    elif patients:
        chosen = patients[0]
    keys: set[str] = _patient_keys(chosen) if chosen else set()
    if chosen is None:
        subjects = [s for e in entries if e.rtype in _CLINICAL and (s := _subject(e.resource))]
        if patient_id is not None:
            keys = {patient_key(patient_id) or patient_id, f"Patient/{patient_id}"}
        elif subjects:
            keys = {max(set(subjects), key=subjects.count)}
    report.patient = (f"Patient/{chosen.rid}" if chosen and chosen.rid else next(iter(sorted(keys)), None))
    b = CaseBuilder(pack, code_index(pack), report, today, case_id=report.patient)
    medications = {}
    for e in entries:
        report.resources[e.rtype] += 1
        if e.rtype == "Medication":
            for k in (f"Medication/{e.rid}", e.full_url, f"#{e.rid}"):
                if k:
                    medications[k] = e.resource
    studies: dict[str, int] = {}
    order = {"Patient": 0, "ImagingStudy": 1, "DiagnosticReport": 2}
    for e in sorted(entries, key=lambda x: order.get(x.rtype, 3)):
        ctx = Ctx(e, problems)
        if e.rtype == "Patient":
            if e is chosen:
                map_patient(b, ctx)
            else:
                report.note("not_mapped", "Patient", e.rid, e.path, "Patient",
                            f"another patient than {report.patient}; pass patient_id to choose one")
            continue
        if e.rtype in _CLINICAL:
            subject = _subject(e.resource)
            if subject is None:
                report.note("assumption", e.rtype, e.rid, f"{e.path}.subject", f"{e.rtype}.subject",
                            "no patient reference; taken as this patient's")
            elif keys and subject not in keys:
                report.note("not_mapped", e.rtype, e.rid, f"{e.path}.subject", f"{e.rtype}.subject",
                            f"belongs to {subject}, not {report.patient}")
                continue
        if e.rtype == "Condition":
            map_condition(b, ctx)
        elif e.rtype == "Procedure":
            map_procedure(b, ctx)
        elif e.rtype == "Observation":
            map_observation(b, ctx)
        elif e.rtype == "ImagingStudy":
            map_imaging_study(b, ctx, studies)
        elif e.rtype == "DiagnosticReport":
            map_diagnostic_report(b, ctx, studies)
        elif e.rtype in ("MedicationRequest", "MedicationStatement"):
            map_medication(b, ctx, medications)
        elif e.rtype == "AllergyIntolerance":
            map_allergy(b, ctx)
        elif e.rtype == "OperationOutcome":
            _operation_outcome(report, e)
        elif e.rtype == "Medication":
            report.note("not_mapped", "Medication", e.rid, e.path, "Medication",
                        "read through the MedicationRequest or MedicationStatement that refers to it")
        else:
            report.note("not_mapped", e.rtype, e.rid, e.path, e.rtype,
                        _NOT_USED.get(e.rtype, f"{e.rtype} is not a resource type revspine reads"))
    problems.raise_if_any()
    return b.build()


def _as_bundle(bundle: Any) -> dict[str, Any]:
    if isinstance(bundle, (bytes, str)):
        bundle = load_json(bundle, "FHIR Bundle")
    if not isinstance(bundle, dict):
        raise InputError("the FHIR input is not a JSON object", [Problem("(document)", "expected a Bundle object")])
    rtype = bundle.get("resourceType")
    if rtype != "Bundle":
        raise InputError("the FHIR input is not a Bundle",
                         [Problem("resourceType", f"expected 'Bundle', found {rtype!r}")])
    return bundle


def bundle_to_case(bundle: Any, pack: KnowledgePack, today: date | None = None, *,
                   patient_id: str | None = None) -> tuple[Case, MappingReport]:
    """A FHIR R4 Bundle (dict, JSON text or bytes; any Bundle type, nested Bundles too) -> (Case, report).

    Raises InputError naming the resource and FHIR path when the Bundle is malformed.
    """
    doc = _as_bundle(bundle)
    kind = doc.get("type") if isinstance(doc.get("type"), str) else "unknown type"
    report = MappingReport(source=f"Bundle/{doc.get('id', '(no id)')} ({kind})")
    problems = Problems()
    entries = list(iter_entries(doc, report, problems))
    problems.raise_if_any()
    case = resources_to_case(entries, pack, report, today=today, patient_id=patient_id, problems=problems)
    return case, report


@dataclass
class PatientCase:
    patient: str
    case: Case
    report: MappingReport


@dataclass
class BulkResult:
    """Cases of a bulk export, one per patient, and the report of resources that name no patient."""

    cases: list[PatientCase]
    unassigned: MappingReport


def _ndjson_lines(sources: Iterable[str | Path | bytes]) -> Iterator[tuple[str, int, bytes]]:
    for src in sources:
        if isinstance(src, bytes):
            for n, line in enumerate(src.splitlines(), 1):
                yield "(bytes)", n, line
            continue
        path = Path(src)
        files = sorted(path.glob("*.ndjson")) if path.is_dir() else [path]
        for f in files:
            try:
                with f.open("rb") as fh:
                    for n, line in enumerate(fh, 1):
                        yield f.name, n, line
            except OSError as exc:
                raise InputError(f"cannot read {f}", [Problem(str(f), exc.strerror or "unreadable")]) from None


def ndjson_to_cases(sources: Iterable[str | Path | bytes], pack: KnowledgePack,
                    today: date | None = None) -> BulkResult:
    """FHIR Bulk Data NDJSON (files, a folder of them, or bytes) -> one case and report per patient.

    Lines that are not FHIR resources (an export log) and resources that name no patient
    (Organization, Practitioner...) go to ``unassigned``. A line that is not JSON raises
    InputError naming the file and line.
    """
    unassigned = MappingReport(source="ndjson (no patient)")
    groups: dict[str, list[Entry]] = {}
    problems = Problems()
    for name, n, line in _ndjson_lines(sources):
        if not line.strip():
            continue
        try:
            res = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError("an NDJSON line is not valid JSON", [Problem(f"{name}:{n}", str(exc))]) from None
        path = f"{name}:{n}"
        if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            unassigned.note("not_mapped", "(not a resource)", None, path, "(line)",
                            "the line is not a FHIR resource (e.g. a bulk-export log entry)")
            continue
        rid = res.get("id") if isinstance(res.get("id"), str) else None
        e = Entry(res, res["resourceType"], rid, path)
        if e.rtype == "Patient" and rid:
            key = f"Patient/{rid}"
        else:
            key = _subject(res) or ""
        if not key:
            unassigned.resources[e.rtype] += 1
            unassigned.note("not_mapped", e.rtype, rid, path, e.rtype, "names no patient")
            continue
        groups.setdefault(key, []).append(e)
    cases = []
    for key, entries in groups.items():
        report = MappingReport(source=f"ndjson {key}")
        case = resources_to_case(entries, pack, report, today=today, patient_id=key, problems=problems)
        cases.append(PatientCase(key, case, report))
    return BulkResult(cases, unassigned)

"""Patients, cases with versions, and stored assessments.

Nothing clinical is overwritten or deleted in place: an edit of a case is a new
``case_versions`` row, a new assessment is a new ``assessments`` row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InputError, NotFound, Problem
from .accounts import now
from .tables import AssessmentRow, Base, CaseRow, CaseVersionRow, PatientRow

__all__ = ["create_patient", "update_patient", "touch_patient", "get_patient", "search_patients", "create_case",
           "get_case", "list_cases", "add_case_version", "list_versions", "get_version", "get_version_by_id",
           "latest_version", "add_assessment", "get_assessment", "list_assessments", "count_assessments"]


# The statements on the save-and-assess path, built once: Core statements on the tables (not the
# ORM entities) with bound parameters compile once and skip the ORM's per-call bookkeeping.
_T = Base.metadata.tables
_TOUCH_PATIENT = update(_T["patients"]).where(_T["patients"].c.id == bindparam("patient_id"))
_INSERT_CASE = insert(_T["cases"]).returning(_T["cases"].c.id)
_INSERT_VERSION = insert(_T["case_versions"]).returning(_T["case_versions"].c.id)
_INSERT_ASSESSMENT = insert(_T["assessments"]).returning(_T["assessments"].c.id)
_MRN_LOCK = 0x7265_7673  # the transaction lock MRN assignments queue on (PostgreSQL)


def _has_nul(*values: str | None) -> bool:
    return any(v is not None and "\x00" in v for v in values)


def _patient_problems(display_name: str | None, mrn: str | None, birth_date: date | None) -> list[Problem]:
    problems = [Problem(field, "contains a NUL character") for field, value in
                (("display_name", display_name), ("mrn", mrn)) if _has_nul(value)]
    if display_name is not None and not 1 <= len(display_name.strip()) <= 200:
        problems.append(Problem("display_name", "give a name of 1-200 characters"))
    if mrn is not None and len(mrn.strip()) > 64:
        problems.append(Problem("mrn", "at most 64 characters"))
    if birth_date is not None and birth_date > date.today():
        problems.append(Problem("birth_date", "is in the future"))
    if birth_date is not None and birth_date.year < 1880:
        problems.append(Problem("birth_date", "is implausibly early"))
    return problems


def _mrn_taken(s: Session, mrn: str, exclude: int | None = None) -> bool:
    """Whether another patient holds ``mrn``. On PostgreSQL MRN assignments queue on a transaction lock
    first, so two concurrent saves of one MRN never reach the unique index: its violation message would
    put the MRN in the server's log."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MRN_LOCK})
    q = select(PatientRow.id).where(PatientRow.mrn == mrn)
    if exclude is not None:
        q = q.where(PatientRow.id != exclude)
    return s.scalar(q) is not None


def create_patient(s: Session, user_id: int, display_name: str, mrn: str | None = None,
                   birth_date: date | None = None) -> PatientRow:
    mrn = (mrn or "").strip() or None
    problems = _patient_problems(display_name, mrn, birth_date)
    if mrn and not problems and _mrn_taken(s, mrn):
        problems.append(Problem("mrn", "another patient has this MRN"))
    if problems:
        raise InputError("the patient cannot be saved", problems)
    t = now()
    row = PatientRow(display_name=display_name.strip(), mrn=mrn, birth_date=birth_date, created_at=t,
                     created_by=user_id, updated_at=t)
    s.add(row)
    try:
        s.flush()
    except IntegrityError:  # a concurrent insert took the MRN
        raise InputError("the patient cannot be saved", [Problem("mrn", "another patient has this MRN")]) from None
    return row


def update_patient(s: Session, patient_id: int, changes: dict[str, Any]) -> tuple[PatientRow, list[str]]:
    """Apply ``changes`` (display_name, mrn, birth_date); returns the row and the changed field names."""
    row = get_patient(s, patient_id)
    if "mrn" in changes:
        changes["mrn"] = (changes["mrn"] or "").strip() or None
    problems = _patient_problems(changes.get("display_name"), changes.get("mrn"), changes.get("birth_date"))
    if "display_name" in changes and changes["display_name"] is None:
        problems.append(Problem("display_name", "cannot be empty"))
    if changes.get("mrn") and not problems and _mrn_taken(s, changes["mrn"], exclude=patient_id):
        problems.append(Problem("mrn", "another patient has this MRN"))
    if problems:
        raise InputError("the patient cannot be saved", problems)
    changed: list[str] = []
    for key in ("display_name", "mrn", "birth_date"):
        if key in changes:
            value = changes[key].strip() if key == "display_name" else changes[key]
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed.append(key)
    if changed:
        row.updated_at = now()
    return row, changed


def touch_patient(s: Session, patient_id: int) -> None:
    """Mark the patient as just changed (new case or version): the patient list shows recent ones first."""
    done = s.execute(_TOUCH_PATIENT, {"patient_id": patient_id, "updated_at": now()})
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"patient {patient_id} not found", [Problem("patient_id", "no such patient")])


def get_patient(s: Session, patient_id: int) -> PatientRow:
    row = s.get(PatientRow, patient_id)
    if row is None:
        raise NotFound(f"patient {patient_id} not found", [Problem("patient_id", "no such patient")])
    return row


def search_patients(s: Session, q: str = "", limit: int = 50, offset: int = 0) -> tuple[list[PatientRow], int]:
    """Patients whose name or MRN contains ``q`` (case-insensitive), newest first, with the total count."""
    cond = None
    if q.strip():
        like = "%" + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cond = or_(func.lower(PatientRow.display_name).like(like, escape="\\"),
                   func.lower(PatientRow.mrn).like(like, escape="\\"))
    rows_q = select(PatientRow).order_by(PatientRow.updated_at.desc(), PatientRow.id.desc())
    count_q = select(func.count(PatientRow.id))
    if cond is not None:
        rows_q, count_q = rows_q.where(cond), count_q.where(cond)
    total = s.scalar(count_q) or 0
    return list(s.scalars(rows_q.limit(limit).offset(offset))), total


def create_case(s: Session, patient_id: int, user_id: int, title: str, data: dict[str, Any] | orjson.Fragment,
                source: str) -> tuple[CaseRow, CaseVersionRow]:
    """Open a case with its version 1 (and mark the patient as just changed); NotFound without the patient.
    ``data``: the case JSON, or already serialised (an ``orjson.Fragment``, stored as it is)."""
    title = title.strip() or "Revision evaluation"
    if len(title) > 200 or _has_nul(title):
        raise InputError("the case cannot be saved", [Problem("title", "at most 200 characters, no NUL")])
    touch_patient(s, patient_id)
    values = dict(patient_id=patient_id, title=title, created_at=now(), created_by=user_id)
    case_id = s.execute(_INSERT_CASE, values).scalar_one()
    return CaseRow(id=case_id, **values), _insert_version(s, case_id, 1, user_id, data, source)


def get_case(s: Session, case_id: int, *, lock: bool = False) -> CaseRow:
    q = select(CaseRow).where(CaseRow.id == case_id)
    if lock:
        q = q.with_for_update()
    case = s.scalar(q)
    if case is None:
        raise NotFound(f"case {case_id} not found", [Problem("case_id", "no such case")])
    return case


def list_cases(s: Session, patient_id: int) -> list[CaseRow]:
    return list(s.scalars(select(CaseRow).where(CaseRow.patient_id == patient_id).order_by(CaseRow.id)))


def add_case_version(s: Session, case_id: int, user_id: int, data: dict[str, Any] | orjson.Fragment,
                     source: str) -> CaseVersionRow:
    """Append version n+1 of a case (the case row is locked so concurrent edits queue)."""
    get_case(s, case_id, lock=True)
    last = s.scalar(select(func.max(CaseVersionRow.version)).where(CaseVersionRow.case_id == case_id)) or 0
    return _insert_version(s, case_id, last + 1, user_id, data, source)


def _insert_version(s: Session, case_id: int, number: int, user_id: int, data: dict[str, Any] | orjson.Fragment,
                    source: str) -> CaseVersionRow:
    """The returned row is detached, with its id (and ``data`` None when it was given serialised)."""
    values = dict(case_id=case_id, version=number, data=data, source=source, created_at=now(), created_by=user_id)
    new_id = s.execute(_INSERT_VERSION, values).scalar_one()
    return CaseVersionRow(id=new_id, **{**values, "data": data if isinstance(data, dict) else None})


def list_versions(s: Session, case_id: int) -> list[CaseVersionRow]:
    return list(s.scalars(select(CaseVersionRow).where(CaseVersionRow.case_id == case_id)
                          .order_by(CaseVersionRow.version)))


def latest_version(s: Session, case_id: int) -> CaseVersionRow:
    row = s.scalar(select(CaseVersionRow).where(CaseVersionRow.case_id == case_id)
                   .order_by(CaseVersionRow.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"case {case_id} has no versions", [Problem("case_id", "no versions")])
    return row


def get_version(s: Session, case_id: int, version: int) -> CaseVersionRow:
    row = s.scalar(select(CaseVersionRow).where(CaseVersionRow.case_id == case_id,
                                                CaseVersionRow.version == version))
    if row is None:
        raise NotFound(f"version {version} of case {case_id} not found", [Problem("version", "no such version")])
    return row


def get_version_by_id(s: Session, version_id: int) -> CaseVersionRow:
    row = s.get(CaseVersionRow, version_id)
    if row is None:
        raise NotFound(f"case version {version_id} not found", [Problem("case_version_id", "no such version")])
    return row


def add_assessment(s: Session, patient_id: int, version: CaseVersionRow, user_id: int,
                   input_case: dict[str, Any] | orjson.Fragment, result: dict[str, Any], *,
                   result_json: bytes | None = None) -> AssessmentRow:
    """Store an assessment (a Core insert; the returned row is detached, with its id). ``result_json``:
    ``result`` already serialised (orjson bytes), stored as it is instead of serialising ``result``
    again; ``result`` then needs only the fields the row indexes (``decision`` and ``versions``).
    ``input_case`` may be serialised too (an ``orjson.Fragment``; the returned row's is then None)."""
    versions = result["versions"]
    stored: Any = result if result_json is None else orjson.Fragment(result_json)
    values = dict(patient_id=patient_id, case_version_id=version.id, input_case=input_case, result=stored,
                  decision=result["decision"]["category"], engine_version=versions["engine"],
                  knowledge_id=versions["knowledge_id"], knowledge_version=versions["knowledge"],
                  created_at=now(), created_by=user_id)
    new_id = s.execute(_INSERT_ASSESSMENT, values).scalar_one()
    return AssessmentRow(id=new_id, **{**values, "result": result if result_json is None else None,
                                       "input_case": input_case if isinstance(input_case, dict) else None})


def get_assessment(s: Session, assessment_id: int) -> AssessmentRow:
    row = s.get(AssessmentRow, assessment_id)
    if row is None:
        raise NotFound(f"assessment {assessment_id} not found", [Problem("assessment_id", "no such assessment")])
    return row


def list_assessments(s: Session, patient_id: int) -> list[AssessmentRow]:
    return list(s.scalars(select(AssessmentRow).where(AssessmentRow.patient_id == patient_id)
                          .order_by(AssessmentRow.created_at.desc(), AssessmentRow.id.desc())))


def count_assessments(s: Session) -> int:
    return s.scalar(select(func.count(AssessmentRow.id))) or 0

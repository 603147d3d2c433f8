"""The clinical workflow behind pages and API: save a case version, assess it, store and audit it.

Validation and the engine run before any write; the writes of one action share one transaction,
so a failure leaves nothing partly saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..case.model import Case
from ..case.validate import parse_case, problems_from_validation
from ..engine import assess
from ..errors import InputError, NotFound, Problem
from ..storage import audit, records
from ..storage.tables import AssessmentRow, CaseRow, CaseVersionRow, PatientRow, User
from ..views.labels import DECISION_HEADLINES as _HEADLINES
from .contexts import AssessmentRecord, AssessmentSummary, CaseSummary, CaseVersionSummary, PatientSummary
from .state import AppState

__all__ = ["Worked", "work_out", "store_case", "prepare_case", "save_case", "save_and_assess", "reassess_latest",
           "usernames", "patient_summary", "case_summary", "version_summary", "assessment_summary",
           "assessment_record", "headline"]



def headline(category: str) -> str:
    return _HEADLINES.get(category, category.replace("_", " ").capitalize())


def prepare_case(raw: Any, state: AppState, today: date | None = None) -> tuple[dict[str, Any], Case]:
    """Validate ``raw``; return (the data to store as entered, the parsed case the engine reads).

    A date of birth in the case is a patient identifier: it is checked, then left out of what is
    stored (the patient record holds it). The engine does not read it, so the assessment is the same.
    """
    if not isinstance(raw, dict):
        raise InputError("the case is not valid", [Problem("(case)", "expected a JSON object")])
    case = parse_case(raw, state.pack, today=today)
    try:
        entered = Case.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:  # pragma: no cover - parse_case validated the same data
        raise InputError("the case is not valid", problems_from_validation(exc)) from None
    entered.get("patient", {}).pop("birth_date", None)
    case.patient.birth_date = None
    return entered, case


@dataclass(frozen=True)
class Worked:
    """A validated case and (when asked for) its assessment, worked out before anything is stored."""

    entered: dict[str, Any]           # the case as entered, as stored (no date of birth)
    case: Case                        # the parsed case the engine read
    result: dict[str, Any] | None     # the Assessment JSON, or None when not assessed


def work_out(state: AppState, raw: Any, *, assess_it: bool = True) -> Worked:
    """Validate ``raw`` and assess it: pure computation (no database), so it may run on the event loop."""
    entered, case = prepare_case(raw, state)
    result = assess(case, state.pack).model_dump(mode="json") if assess_it else None
    return Worked(entered, case, result)


def store_case(state: AppState, user: User, patient_id: int, worked: Worked, *, source: str,
               case_id: int | None = None, title: str = "", client: str | None = None
               ) -> tuple[CaseVersionRow, AssessmentRow | None]:
    """Store a worked-out case as a new case (or a new version of ``case_id``) with its assessment, if any;
    all or nothing, with the audit rows in the same transaction."""
    with state.db.write() as s:
        if case_id is None:
            case_row, version = records.create_case(s, patient_id, user.id, title, worked.entered, source)
            audit.record(s, user.id, "create", "case", case_row.id, {"patient_id": patient_id}, client)
        else:
            case_row = records.get_case(s, case_id)
            if case_row.patient_id != patient_id:
                raise NotFound(f"case {case_id} not found for patient {patient_id}",
                               [Problem("case_id", "no such case")])
            records.touch_patient(s, patient_id)
            version = records.add_case_version(s, case_id, user.id, worked.entered, source)
            audit.record(s, user.id, "change", "case", case_id, {"patient_id": patient_id, "version": version.version},
                         client)
        row = None
        if worked.result is not None:
            row = records.add_assessment(s, patient_id, version, user.id, worked.case.model_dump(mode="json"),
                                         worked.result)
            audit.record(s, user.id, "create", "assessment", row.id,
                         {"patient_id": patient_id, "case_version_id": version.id}, client)
    return version, row


def save_case(state: AppState, user: User, patient_id: int, raw: Any, *, source: str, case_id: int | None = None,
              title: str = "", client: str | None = None, assess_it: bool = False
              ) -> tuple[CaseVersionRow, AssessmentRow | None, dict[str, Any] | None]:
    """Store a new case (or a new version of ``case_id``), and its assessment when ``assess_it``; all or nothing."""
    worked = work_out(state, raw, assess_it=assess_it)
    version, row = store_case(state, user, patient_id, worked, source=source, case_id=case_id, title=title,
                              client=client)
    return version, row, worked.result


def save_and_assess(state: AppState, user: User, patient_id: int, raw: Any, *, source: str,
                    case_id: int | None = None, title: str = "", client: str | None = None
                    ) -> tuple[AssessmentRow, dict[str, Any]]:
    """Store a new case (or a new version of ``case_id``) and its assessment; both or neither."""
    _, row, result = save_case(state, user, patient_id, raw, source=source, case_id=case_id, title=title,
                               client=client, assess_it=True)
    assert row is not None and result is not None
    return row, result


def reassess_latest(state: AppState, user: User, case_id: int, client: str | None = None
                    ) -> tuple[AssessmentRow, dict[str, Any]]:
    """Assess the latest version of a case again (e.g. after the knowledge pack changed)."""
    with state.db.read() as s:
        case_row = records.get_case(s, case_id)
        version = records.latest_version(s, case_id)
    _, case = prepare_case(version.data, state)
    result = assess(case, state.pack).model_dump(mode="json")
    with state.db.write() as s:
        row = records.add_assessment(s, case_row.patient_id, version, user.id, case.model_dump(mode="json"), result)
        audit.record(s, user.id, "create", "assessment", row.id,
                     {"patient_id": case_row.patient_id, "case_version_id": version.id}, client)
    return row, result


def usernames(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {uid: name for uid, name in s.execute(select(User.id, User.username).where(User.id.in_(ids)))}


def patient_summary(p: PatientRow) -> PatientSummary:
    return PatientSummary(id=p.id, display_name=p.display_name, mrn=p.mrn, birth_date=p.birth_date,
                          updated_at=p.updated_at)


def version_summary(v: CaseVersionRow, names: dict[int, str]) -> CaseVersionSummary:
    return CaseVersionSummary(id=v.id, case_id=v.case_id, version=v.version, source=v.source,
                              created_at=v.created_at, created_by=names.get(v.created_by, "?"))


def case_summary(c: CaseRow, versions: list[CaseVersionRow], names: dict[int, str]) -> CaseSummary:
    return CaseSummary(id=c.id, title=c.title, created_at=c.created_at,
                       versions=[version_summary(v, names) for v in versions])


def assessment_summary(a: AssessmentRow, version: CaseVersionRow, names: dict[int, str]) -> AssessmentSummary:
    diff = a.result.get("differential") or []
    return AssessmentSummary(
        id=a.id, case_id=version.case_id, case_version=version.version, created_at=a.created_at,
        created_by=names.get(a.created_by, "?"), decision=a.decision, headline=headline(a.decision),
        leading_cause=diff[0]["label"] if diff else None, red_flags=len(a.result.get("red_flags") or []),
        engine_version=a.engine_version, knowledge_version=a.knowledge_version,
    )


def assessment_record(a: AssessmentRow, version: CaseVersionRow, names: dict[int, str]) -> AssessmentRecord:
    return AssessmentRecord(
        id=a.id, patient_id=a.patient_id, case_id=version.case_id, case_version=version.version,
        case_version_id=version.id, created_at=a.created_at, created_by=names.get(a.created_by, "?"),
        engine_version=a.engine_version, knowledge_id=a.knowledge_id, knowledge_version=a.knowledge_version,
    )

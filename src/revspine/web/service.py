"""What pages and API show of stored records: summaries of patients, cases, versions and assessments.

Saving, assessing, storing and auditing are the workflow's (revspine/workflow.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..storage.tables import AssessmentRow, CaseRow, CaseVersionRow, PatientRow, User
from ..views.labels import DECISION_HEADLINES as _HEADLINES
from .contexts import AssessmentRecord, AssessmentSummary, CaseSummary, CaseVersionSummary, PatientSummary

__all__ = ["usernames", "patient_summary", "case_summary", "version_summary", "assessment_summary",
           "assessment_record", "headline"]


def headline(category: str) -> str:
    return _HEADLINES.get(category, category.replace("_", " ").capitalize())


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

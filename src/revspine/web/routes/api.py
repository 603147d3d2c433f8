"""The REST API under ``/api/`` (Bearer token only). Patients (no delete), cases, assessments.

``POST /api/patients/{id}/assess`` stores a new case version and its assessment and returns the
Assessment JSON exactly as ``revspine assess --format json`` prints it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from ...case.model import Case
from ...pipeline import Assessment
from ...storage import audit, records
from ...storage.tables import PatientRow
from ...workflow import AssessmentJson
from ..auth import ApiUser, client_address
from ..contexts import (
    AssessmentRecord,
    AssessmentSummary,
    CaseSummary,
    CaseVersionSummary,
    PatientSummary,
    RecordId,
)
from ..service import (
    assessment_record,
    assessment_summary,
    case_summary,
    patient_summary,
    usernames,
    version_summary,
)
from ..state import app_state

__all__ = ["router", "PatientIn", "PatientPatch"]

router = APIRouter(prefix="/api", tags=["REST API"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or bad token (the JSON error shape)"},
    404: {"description": "No such record (the JSON error shape)"},
    422: {"description": "Invalid input: `errors` lists each field path and message"},
}


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: Any) -> Any:
    """A date of birth is a `YYYY-MM-DD` string: not a number (0 would be read as 1970-01-01)."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("use the form YYYY-MM-DD")
    return value


class PatientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=200, description="Name as shown to clinicians")
    mrn: str | None = Field(None, max_length=64, description="Medical record number (unique)")
    birth_date: date | None = Field(None, description="Date of birth (YYYY-MM-DD)")

    _birth_date = field_validator("birth_date", mode="before")(_iso_date_only)


class PatientPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(None, min_length=1, max_length=200)
    mrn: str | None = Field(None, max_length=64)
    birth_date: date | None = Field(None, description="Date of birth (YYYY-MM-DD)")

    _birth_date = field_validator("birth_date", mode="before")(_iso_date_only)


class PatientList(BaseModel):
    total: int
    patients: list[PatientSummary]


class CaseVersionOut(BaseModel):
    version: CaseVersionSummary
    data: dict[str, Any] = Field(description="The case as entered (no date of birth: that lives on the patient)")


class StoredAssessment(BaseModel):
    record: AssessmentRecord
    input_case: dict[str, Any] = Field(description="The case the engine read (canonical units)")
    assessment: dict[str, Any] = Field(description="The Assessment JSON, as the engine produced it")


def _case_data(case: Case) -> dict[str, Any]:
    return case.model_dump(mode="json", exclude_unset=True)


@router.get("/patients", response_model=PatientList, responses=ERRORS, summary="List or search patients")
def list_patients(request: Request, user: ApiUser, q: Annotated[str, Query(max_length=200)] = "",
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> PatientList:
    db = app_state(request).db
    with db.read() as s:
        rows, total = records.search_patients(s, q, limit, offset)
    audit.write(db, user.id, "view", "patient_list", None, {"results": len(rows)}, client_address(request))
    return PatientList(total=total, patients=[patient_summary(p) for p in rows])


@router.post("/patients", status_code=201, response_model=PatientSummary, responses=ERRORS,
             summary="Create a patient")
def create_patient(request: Request, user: ApiUser, body: PatientIn) -> PatientSummary:
    def create(s: Session) -> PatientRow:
        row = records.create_patient(s, user.id, body.display_name, body.mrn, body.birth_date)
        audit.record(s, user.id, "create", "patient", row.id, {}, client_address(request))
        return row
    return patient_summary(app_state(request).db.write(create))


@router.get("/patients/{patient_id}", response_model=PatientSummary, responses=ERRORS, summary="One patient")
def get_patient(request: Request, user: ApiUser, patient_id: RecordId) -> PatientSummary:
    db = app_state(request).db
    with db.read() as s:
        row = records.get_patient(s, patient_id)
    audit.write(db, user.id, "view", "patient", patient_id, {}, client_address(request))
    return patient_summary(row)


@router.patch("/patients/{patient_id}", response_model=PatientSummary, responses=ERRORS,
              summary="Change a patient's name, MRN or birth date")
def update_patient(request: Request, user: ApiUser, patient_id: RecordId, body: PatientPatch) -> PatientSummary:
    def update(s: Session) -> PatientRow:
        row, changed = records.update_patient(s, patient_id, body.model_dump(exclude_unset=True))
        audit.record(s, user.id, "change", "patient", patient_id, {f: True for f in changed},
                     client_address(request))
        return row
    return patient_summary(app_state(request).db.write(update))


@router.get("/patients/{patient_id}/cases", response_model=list[CaseSummary], responses=ERRORS,
            summary="A patient's cases with their versions")
def list_cases(request: Request, user: ApiUser, patient_id: RecordId) -> list[CaseSummary]:
    db = app_state(request).db
    with db.read() as s:
        records.get_patient(s, patient_id)
        cases = records.list_cases(s, patient_id)
        versions = {c.id: records.list_versions(s, c.id) for c in cases}
        names = usernames(s, {v.created_by for vs in versions.values() for v in vs})
    audit.write(db, user.id, "view", "patient", patient_id, {"cases": len(cases)}, client_address(request))
    return [case_summary(c, versions[c.id], names) for c in cases]


# The case is read as the request's bytes and parsed, validated and assessed in an assessment worker
# (one pass instead of a parse and validation here and again there); the schema is still Case's.
_CASE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Case"}}}}}


@router.post("/patients/{patient_id}/assess", responses={200: {"model": Assessment}, **ERRORS},
             summary="Save the case as a new version and assess it", openapi_extra=_CASE_BODY,
             response_description="The Assessment JSON (as `revspine assess --format json` prints it). "
                                  "Headers `Location` and `X-Revspine-Assessment-Id` name the stored assessment.")
async def assess_patient_case(request: Request, user: ApiUser, patient_id: RecordId,
                              case_id: Annotated[int | None, Query(ge=1, le=2_147_483_647,
                                                                  description="Add a version to this case "
                                                                               "(default: open a new case)")] = None,
                              title: Annotated[str, Query(max_length=200)] = "") -> Response:
    # The engine is pure computation: it runs in the assessment worker processes (revspine/assesspool.py),
    # which answer the assessment already serialised. The store goes to the process's writer
    # (storage/writer.py); the loop awaits both without blocking.
    state, client = app_state(request), client_address(request)
    worked = await state.work_out(await request.body())
    _, row = await state.workflow.astore(user.id, patient_id, worked, source="api", case_id=case_id, title=title,
                                         client=client)
    assert row is not None and worked.result is not None
    return _assessment(row.id, worked.result)


def _assessment(assessment_id: int, result: AssessmentJson) -> Response:
    """The Assessment JSON as the engine's worker serialised it, with the stored assessment's address."""
    return Response(result.json, media_type="application/json",
                    headers={"Location": f"/api/assessments/{assessment_id}",
                             "X-Revspine-Assessment-Id": str(assessment_id)})


def _version_out(request: Request, version_id: int) -> CaseVersionOut:
    with app_state(request).db.read() as s:
        row = records.get_version_by_id(s, version_id)
        names = usernames(s, {row.created_by})
    return CaseVersionOut(version=version_summary(row, names), data=row.data)


@router.post("/patients/{patient_id}/cases", status_code=201, response_model=CaseVersionOut, responses=ERRORS,
             summary="Open a new case for a patient (version 1)")
def create_case(request: Request, user: ApiUser, patient_id: RecordId, body: Case,
                title: Annotated[str, Query(max_length=200)] = "") -> CaseVersionOut:
    version, _, _ = app_state(request).workflow.save(user.id, patient_id, _case_data(body), source="api",
                                                     title=title, client=client_address(request))
    return _version_out(request, version.id)


@router.post("/cases/{case_id}/versions", status_code=201, response_model=CaseVersionOut, responses=ERRORS,
             summary="Save a new version of a case (nothing is overwritten)")
def add_version(request: Request, user: ApiUser, case_id: RecordId, body: Case) -> CaseVersionOut:
    state = app_state(request)
    with state.db.read() as s:
        case = records.get_case(s, case_id)
    version, _, _ = state.workflow.save(user.id, case.patient_id, _case_data(body), source="api", case_id=case_id,
                                        client=client_address(request))
    return _version_out(request, version.id)


@router.get("/cases/{case_id}/versions/{version}", response_model=CaseVersionOut, responses=ERRORS,
            summary="One version of a case")
def get_version(request: Request, user: ApiUser, case_id: RecordId, version: RecordId) -> CaseVersionOut:
    db = app_state(request).db
    with db.read() as s:
        case = records.get_case(s, case_id)
        row = records.get_version(s, case_id, version)
        names = usernames(s, {row.created_by})
    audit.write(db, user.id, "view", "case_version", row.id, {"patient_id": case.patient_id},
                client_address(request))
    return CaseVersionOut(version=version_summary(row, names), data=row.data)


@router.post("/cases/{case_id}/assess", responses={200: {"model": Assessment}, **ERRORS},
             summary="Assess the latest version of a case again (e.g. after a knowledge update)")
def reassess_case(request: Request, user: ApiUser, case_id: RecordId) -> Response:
    row, result = app_state(request).workflow.reassess_latest(user.id, case_id, client_address(request))
    return _assessment(row.id, result)


@router.get("/patients/{patient_id}/assessments", response_model=list[AssessmentSummary], responses=ERRORS,
            summary="A patient's stored assessments, newest first")
def list_assessments(request: Request, user: ApiUser, patient_id: RecordId) -> list[AssessmentSummary]:
    db = app_state(request).db
    with db.read() as s:
        records.get_patient(s, patient_id)
        rows = records.list_assessments(s, patient_id)
        versions = {v: records.get_version_by_id(s, v) for v in {a.case_version_id for a in rows}}
        names = usernames(s, {a.created_by for a in rows})
    audit.write(db, user.id, "view", "patient", patient_id, {"assessments": len(rows)}, client_address(request))
    return [assessment_summary(a, versions[a.case_version_id], names) for a in rows]


def _stored(request: Request, user: Any, assessment_id: RecordId, audit_view: bool = True) -> StoredAssessment:
    db = app_state(request).db
    with db.read() as s:
        row = records.get_assessment(s, assessment_id)
        version = records.get_version_by_id(s, row.case_version_id)
        names = usernames(s, {row.created_by})
    if audit_view:
        audit.write(db, user.id, "view", "assessment", row.id, {"patient_id": row.patient_id}, client_address(request))
    return StoredAssessment(record=assessment_record(row, version, names), input_case=row.input_case,
                            assessment=row.result)


@router.get("/assessments/{assessment_id}", response_model=StoredAssessment, responses=ERRORS,
            summary="One stored assessment with its input and versions")
def get_assessment(request: Request, user: ApiUser, assessment_id: RecordId) -> StoredAssessment:
    return _stored(request, user, assessment_id)



"""Patient list with search, patient creation, and the patient page (cases, versions, assessments)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...errors import InputError, Problem
from ...storage import audit, records
from ...storage.tables import AssessmentRow, PatientRow
from ...views.labels import DECISION_HEADLINES as _HEADLINES
from ..auth import CsrfChecked, CurrentUser, client_address
from ..contexts import PatientContext, PatientListContext, PatientRowSummary, RecordId
from ..service import assessment_summary, case_summary, headline, patient_summary, usernames
from ..state import app_state
from ..twins import render, twin_page
from .patient_links import link_summaries

__all__ = ["router", "parse_birth_date"]

router = APIRouter()


def parse_birth_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("the patient cannot be saved",
                         [Problem("birth_date", "use the form YYYY-MM-DD")]) from None


FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
           'fill="#12343b"/><path d="M16 4v24M11 8h10M10 14h12M11 20h10M13 26h6" stroke="#7fd1d9" stroke-width="3" '
           'stroke-linecap="round"/></svg>')


@router.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
def favicon() -> Response:
    """The site icon (no patient data; no login needed), so browsers stop asking for it on every page."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


#: Triage order of decisions: what needs action first.
_DECISION_ORDER = {"urgent": 0, "workup_first": 1, "revision_after_optimisation": 2, "revision": 3,
                   "non_surgical": 4, "not_applicable": 5}
_SORTS = ("changed", "name", "age", "sex", "decision", "red_flags")
_MAX_LISTED = 2000


def _row(p: PatientRow, latest: AssessmentRow | None) -> PatientRowSummary:
    base = patient_summary(p).model_dump()
    if latest is None:
        return PatientRowSummary(**base, age=_age(p.birth_date, date.today()))
    case = latest.input_case.get("patient") or {}
    result = latest.result
    workup = result.get("workup") or []
    age = _age(p.birth_date, date.today()) if p.birth_date else case.get("age")
    return PatientRowSummary(
        **base, age=age if isinstance(age, int) else None, sex=case.get("sex"), assessment_id=latest.id,
        decision=latest.decision, headline=headline(latest.decision), red_flags=len(result.get("red_flags") or []),
        next_step=workup[0].get("label") if workup else None,
    )


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _sort_key(sort: str) -> Callable[[PatientRowSummary], tuple[object, ...]]:
    keys: dict[str, Callable[[PatientRowSummary], tuple[object, ...]]] = {
        "name": lambda r: (r.display_name.lower(),),
        "age": lambda r: (r.age is None, r.age or 0),
        "sex": lambda r: (r.sex is None, r.sex or ""),
        "decision": lambda r: (_DECISION_ORDER.get(r.decision or "", 9), -r.red_flags),
        "red_flags": lambda r: (-r.red_flags, _DECISION_ORDER.get(r.decision or "", 9)),
    }
    return keys.get(sort, lambda r: (-r.updated_at.timestamp(),))


@twin_page(router, "/patients", "patients.html", PatientListContext, summary="Patients, with search, triage, "
           "sort and filters")
def patient_list(request: Request, user: CurrentUser,
                 q: Annotated[str, Query(max_length=200, description="Name or MRN contains")] = "",
                 page: Annotated[int, Query(ge=1, le=100000)] = 1,
                 sort: Annotated[str, Query(max_length=20, description="changed, name, age, sex, decision or "
                                                                       "red_flags")] = "changed",
                 decision: Annotated[str, Query(max_length=40, description="Latest decision category")] = "",
                 flags: Annotated[str, Query(max_length=3, description="`yes` or `no`: with a red flag")] = "",
                 sex: Annotated[str, Query(max_length=10, description="Sex in the latest case")] = "",
                 ) -> PatientListContext:
    """Patients whose name or MRN contains `q`, with age, sex, latest decision, red-flag count and next step;
    filtered and sorted as asked (default: most recently changed first)."""
    state = app_state(request)
    size = state.settings.page_size
    with state.db.read() as s:
        found, _ = records.search_patients(s, q, limit=_MAX_LISTED, offset=0)
        rows = []
        for p in found:
            latest = records.list_assessments(s, p.id)
            rows.append(_row(p, latest[0] if latest else None))
    audit.write(state.db, user.id, "view", "patient_list", None, {"results": len(rows)}, client_address(request))
    if decision:
        rows = [r for r in rows if r.decision == decision]
    if flags in ("yes", "no"):
        rows = [r for r in rows if (r.red_flags > 0) == (flags == "yes")]
    if sex:
        rows = [r for r in rows if r.sex == sex]
    rows.sort(key=_sort_key(sort if sort in _SORTS else "changed"))
    return PatientListContext(
        q=q, total=len(rows), page=page, page_size=size, sort=sort if sort in _SORTS else "changed",
        decision=decision, flags=flags, sex=sex, decisions=dict(_HEADLINES),
        patients=rows[(page - 1) * size: page * size],
    )


@router.get("/patients/new", response_class=HTMLResponse, include_in_schema=False)
def new_patient_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "patient_new.html", {"values": {}, "errors": {}})


@router.post("/patients", response_class=HTMLResponse, include_in_schema=False, dependencies=[CsrfChecked])
def create_patient(request: Request, user: CurrentUser, display_name: Annotated[str, Form()] = "",
                   mrn: Annotated[str, Form()] = "", birth_date: Annotated[str, Form()] = "") -> Response:
    state = app_state(request)
    values = {"display_name": display_name, "mrn": mrn, "birth_date": birth_date}
    try:
        born = parse_birth_date(birth_date)
        def create(s: Session) -> PatientRow:
            row = records.create_patient(s, user.id, display_name, mrn or None, born)
            audit.record(s, user.id, "create", "patient", row.id, {}, client_address(request))
            return row
        row = state.db.write(create)
    except InputError as exc:
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            errors.setdefault(p.path, []).append(p.message)
        return render(request, "patient_new.html", {"values": values, "errors": errors, "error": exc.to_dict()},
                      status_code=422)
    return RedirectResponse(f"/patients/{row.id}", status_code=303)


@twin_page(router, "/patients/{patient_id}", "patient.html", PatientContext, summary="One patient")
def patient_page(request: Request, user: CurrentUser, patient_id: RecordId) -> PatientContext:
    """The patient with their cases (every version) and stored assessments."""
    state = app_state(request)
    with state.db.read() as s:
        patient = records.get_patient(s, patient_id)
        cases = records.list_cases(s, patient_id)
        versions = {c.id: records.list_versions(s, c.id) for c in cases}
        assessments = records.list_assessments(s, patient_id)
        by_id = {v.id: v for vs in versions.values() for v in vs}
        ids = {v.created_by for v in by_id.values()} | {a.created_by for a in assessments}
        names = usernames(s, ids)
        links = link_summaries(s, patient_id)
    audit.write(state.db, user.id, "view", "patient", patient_id, {}, client_address(request))
    return PatientContext(
        patient=patient_summary(patient),
        cases=[case_summary(c, versions[c.id], names) for c in cases],
        assessments=[assessment_summary(a, by_id[a.case_version_id], names) for a in assessments],
        links=links, link_days=state.settings.patient_link_days,
    )

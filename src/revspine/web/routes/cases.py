"""Case entry (form and JSON import), new versions, version pages and re-assessment.

Saving a case also assesses it; both are stored in one transaction and the browser goes to the
assessment. Invalid input re-renders the form (422) with each message beside its field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ...errors import InputError, Problem
from ...storage import audit, records
from ...storage.tables import CaseRow, PatientRow
from .. import case_form
from ..auth import CsrfChecked, CurrentUser, client_address
from ..contexts import CaseVersionContext, RecordId
from ..service import case_summary, patient_summary, reassess_latest, save_and_assess, usernames, version_summary
from ..state import app_state
from ..twins import render, twin_page

__all__ = ["router", "MAX_IMPORT_BYTES"]

router = APIRouter()
MAX_IMPORT_BYTES = 2_000_000
FormItems = list[tuple[str, str]]


async def form_items(request: Request) -> FormItems:
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


async def import_text(request: Request) -> str:
    form = await request.form()
    upload = form.get("case_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise InputError("the file is too large", [Problem("case_file", f"at most {MAX_IMPORT_BYTES} bytes")])
        return raw.decode("utf-8", errors="replace")
    text = form.get("case_json")
    return text if isinstance(text, str) else ""


def _age(born: date | None, on: date) -> str:
    if born is None:
        return ""
    return str(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _form_page(request: Request, patient: PatientRow, case: CaseRow | None, values: dict[str, Any],
               problems: list[tuple[str, str]], status_code: int = 200, title: str = "",
               import_error: dict[str, Any] | None = None) -> Response:
    action = f"/cases/{case.id}/versions" if case else f"/patients/{patient.id}/cases"
    return render(request, "case_form.html", {
        "patient": patient_summary(patient), "case": case, "values": values, "sections": case_form.SECTIONS,
        "errors": case_form.errors_by_field(problems), "problems": problems, "action": action,
        "title": title or (case.title if case else ""), "field_id": case_form.field_id,
        "row_indices": case_form.row_indices, "describe_path": case_form.describe_path,
        "import_error": import_error,
    }, status_code=status_code)


@router.get("/patients/{patient_id}/cases/new", response_class=HTMLResponse, include_in_schema=False)
def new_case_form(request: Request, user: CurrentUser, patient_id: RecordId) -> Response:
    with app_state(request).db.read() as s:
        patient = records.get_patient(s, patient_id)
    today = date.today()
    values = {"assessment_date": today.isoformat(), "patient.age": _age(patient.birth_date, today)}
    return _form_page(request, patient, None, values, [])


@router.get("/cases/{case_id}/edit", response_class=HTMLResponse, include_in_schema=False)
def edit_case_form(request: Request, user: CurrentUser, case_id: RecordId) -> Response:
    with app_state(request).db.read() as s:
        case = records.get_case(s, case_id)
        patient = records.get_patient(s, case.patient_id)
        latest = records.latest_version(s, case_id)
    values = case_form.flatten(latest.data)
    values["assessment_date"] = date.today().isoformat()
    return _form_page(request, patient, case, values, [])


def _submit(request: Request, user: Any, patient: PatientRow, case: CaseRow | None, items: FormItems) -> Response:
    data, maps = case_form.unflatten(items)
    title = next((v for k, v in items if k == "_title"), "")
    try:
        row, _ = save_and_assess(app_state(request), user, patient.id, data, source="form",
                                 case_id=case.id if case else None, title=title, client=client_address(request))
    except InputError as exc:
        problems = [(case_form.form_path(p.path, maps), p.message) for p in exc.problems]
        values = case_form.form_values(items)
        return _form_page(request, patient, case, values, problems, status_code=422, title=title)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@router.post("/patients/{patient_id}/cases", include_in_schema=False, dependencies=[CsrfChecked])
def create_case(request: Request, user: CurrentUser, patient_id: RecordId,
                items: Annotated[FormItems, Depends(form_items)]) -> Response:
    with app_state(request).db.read() as s:
        patient = records.get_patient(s, patient_id)
    return _submit(request, user, patient, None, items)


@router.post("/cases/{case_id}/versions", include_in_schema=False, dependencies=[CsrfChecked])
def add_version(request: Request, user: CurrentUser, case_id: RecordId,
                items: Annotated[FormItems, Depends(form_items)]) -> Response:
    with app_state(request).db.read() as s:
        case = records.get_case(s, case_id)
        patient = records.get_patient(s, case.patient_id)
    return _submit(request, user, patient, case, items)


@router.post("/patients/{patient_id}/import", include_in_schema=False, dependencies=[CsrfChecked])
def import_case(request: Request, user: CurrentUser, patient_id: RecordId,
                text: Annotated[str, Depends(import_text)],
                items: Annotated[FormItems, Depends(form_items)]) -> Response:
    """Import a case JSON (file or pasted). Invalid data opens the form pre-filled, errors beside fields."""
    state = app_state(request)
    case_id = next((int(v) for k, v in items if k == "_case_id" and v.isdigit()), None)
    with state.db.read() as s:
        patient = records.get_patient(s, patient_id)
        case = records.get_case(s, case_id) if case_id else None
    if case is not None and case.patient_id != patient_id:
        case = None
    try:
        data = orjson.loads(text) if text.strip() else None
        if not isinstance(data, dict):
            raise InputError("nothing to import", [Problem("case_json", "paste a case JSON object or choose a file")])
    except orjson.JSONDecodeError as exc:
        err = InputError("the text is not valid JSON", [Problem("case_json", str(exc))]).to_dict()
        return _form_page(request, patient, case, {}, [], status_code=422, import_error=err)
    except InputError as exc:
        return _form_page(request, patient, case, {}, [], status_code=422, import_error=exc.to_dict())
    try:
        row, _ = save_and_assess(state, user, patient_id, data, source="import", case_id=case.id if case else None,
                                 client=client_address(request))
    except InputError as exc:
        problems = [(p.path, p.message) for p in exc.problems]
        return _form_page(request, patient, case, case_form.flatten(data), problems, status_code=422)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@router.post("/cases/{case_id}/assess", include_in_schema=False, dependencies=[CsrfChecked])
def reassess(request: Request, user: CurrentUser, case_id: RecordId) -> Response:
    row, _ = reassess_latest(app_state(request), user, case_id, client_address(request))
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@twin_page(router, "/cases/{case_id}/versions/{version}", "case_version.html", CaseVersionContext,
           summary="One version of a case, as entered")
def case_version_page(request: Request, user: CurrentUser, case_id: RecordId, version: RecordId) -> CaseVersionContext:
    """A stored case version with the case's other versions."""
    state = app_state(request)
    with state.db.write() as s:
        case = records.get_case(s, case_id)
        patient = records.get_patient(s, case.patient_id)
        versions = records.list_versions(s, case_id)
        shown = records.get_version(s, case_id, version)
        names = usernames(s, {v.created_by for v in versions})
        audit.record(s, user.id, "view", "case_version", shown.id, {"patient_id": patient.id, "case_id": case_id},
                     client_address(request))
    return CaseVersionContext(patient=patient_summary(patient), case=case_summary(case, versions, names),
                              version=version_summary(shown, names), data=shown.data)

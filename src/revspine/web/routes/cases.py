"""Case entry (form and JSON import), new versions, version pages and re-assessment.

Saving a case also assesses it; both are stored in one transaction and the browser goes to the
assessment. Invalid input re-renders the form (422) with each message beside its field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from ...errors import InputError, Problem
from ...knowledge import KnowledgePack
from ...storage import audit, records
from ...storage.tables import CaseRow, PatientRow
from ...workflow import prepare_case
from .. import case_form
from ..auth import CsrfChecked, CurrentUser, client_address
from ..contexts import CaseFormContext, CaseSummary, CaseVersionContext, FormField, FormProblem, RecordId
from ..service import (
    case_summary,
    patient_summary,
    usernames,
    version_summary,
)
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


_FIELDS = case_form.form_fields()


class _CaseForm(CaseFormContext):
    """The form context plus what its template needs to draw it."""

    def template_vars(self) -> dict[str, Any]:
        pairs = [(p.path, p.message) for p in self.problems]
        return {
            "patient": self.patient, "case": self.case, "values": self.values, "action": self.action,
            "title": self.title, "import_error": self.import_error, "sections": case_form.SECTIONS,
            "problems": pairs, "errors": case_form.errors_by_field(pairs), "field_id": case_form.field_id,
            "row_indices": case_form.row_indices, "describe_path": case_form.describe_path,
            "lab_units": self.lab_units, "confirm_paths": set(self.confirm), "confirmed": set(self.confirmed),
        }


def _lab_units(pack: KnowledgePack) -> dict[str, list[str]]:
    return {test: rule.accepted_units() for test, rule in pack.labs.items()}


def _form_context(patient: PatientRow, case: CaseSummary | None, values: dict[str, Any],
                  problems: list[tuple[str, str]], title: str = "",
                  import_error: dict[str, Any] | None = None, *, pack: KnowledgePack,
                  confirm: list[str] | None = None, confirmed: list[str] | None = None) -> _CaseForm:
    action = f"/cases/{case.id}/versions" if case else f"/patients/{patient.id}/cases"
    return _CaseForm(
        lab_units=_lab_units(pack), confirm=confirm or [], confirmed=confirmed or [],
        patient=patient_summary(patient), case=case, action=action, title=title or (case.title if case else ""),
        values=values, import_error=import_error, fields=[FormField(**f) for f in _FIELDS],
        problems=[FormProblem(path=p, label=case_form.describe_path(p), message=m) for p, m in problems],
    )


def _form_page(request: Request, patient: PatientRow, case: CaseSummary | None, values: dict[str, Any],
               problems: list[tuple[str, str]], status_code: int = 200, title: str = "",
               import_error: dict[str, Any] | None = None, confirm: list[str] | None = None,
               confirmed: list[str] | None = None) -> Response:
    ctx = _form_context(patient, case, values, problems, title, import_error, pack=app_state(request).pack,
                        confirm=confirm, confirmed=confirmed)
    return render(request, "case_form.html", {"ctx": ctx, **ctx.template_vars()}, status_code=status_code)


def _case_summary(s: Any, case: CaseRow) -> CaseSummary:
    versions = records.list_versions(s, case.id)
    return case_summary(case, versions, usernames(s, {v.created_by for v in versions}))


@twin_page(router, "/patients/{patient_id}/cases/new", "case_form.html", CaseFormContext,
           summary="The case entry form for a new case (fields and pre-filled values)")
def new_case_form(request: Request, user: CurrentUser, patient_id: RecordId) -> CaseFormContext:
    """The empty case form: today's date and the age from the patient's birth date are filled in."""
    with app_state(request).db.read() as s:
        patient = records.get_patient(s, patient_id)
    today = date.today()
    values = {"assessment_date": today.isoformat(), "patient.age": _age(patient.birth_date, today)}
    return _form_context(patient, None, values, [], pack=app_state(request).pack)


@twin_page(router, "/cases/{case_id}/edit", "case_form.html", CaseFormContext,
           summary="The case form filled with the latest version (saving makes a new version)")
def edit_case_form(request: Request, user: CurrentUser, case_id: RecordId) -> CaseFormContext:
    """The case form pre-filled from the latest version; the assessment date is set to today."""
    with app_state(request).db.read() as s:
        case = records.get_case(s, case_id)
        patient = records.get_patient(s, case.patient_id)
        latest = records.latest_version(s, case_id)
        summary = _case_summary(s, case)
    values = case_form.flatten(latest.data)
    values["assessment_date"] = date.today().isoformat()
    return _form_context(patient, summary, values, [], pack=app_state(request).pack)


def _submit(request: Request, user: Any, patient: PatientRow, case: CaseSummary | None, items: FormItems) -> Response:
    """Check the whole submit at once (every problem, every unusual value to confirm); save only when none stands."""
    state = app_state(request)
    unread: list[tuple[str, str]] = []
    data, maps = case_form.unflatten(items, unread)
    title = next((v for k, v in items if k == "_title"), "")
    confirmed = {v for k, v in items if k == "_confirm"}

    def check(d: dict[str, Any]) -> None:
        prepare_case(d, state.pack)

    checked = case_form.collect_problems(data, check)
    at_unread = {p for p, _ in unread}
    problems = unread + [(p, m) for p, m in ((case_form.form_path(p, maps), m) for p, m in checked)
                         if p not in at_unread]
    unusual = [(case_form.form_path(p, maps), m) for p, m in case_form.confirmations(data)]
    pending = [(p, m) for p, m in unusual if p not in confirmed]
    if problems or pending:
        values = case_form.form_values(items)
        return _form_page(request, patient, case, values, problems + pending, status_code=422, title=title,
                          confirm=[p for p, _ in unusual], confirmed=sorted(confirmed))
    try:
        row, _ = state.workflow.save_and_assess(user.id, patient.id, data, source="form",
                                                case_id=case.id if case else None, title=title,
                                                client=client_address(request))
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
        summary = _case_summary(s, case)
    return _submit(request, user, patient, summary, items)


@router.post("/patients/{patient_id}/import", include_in_schema=False, dependencies=[CsrfChecked])
def import_case(request: Request, user: CurrentUser, patient_id: RecordId,
                text: Annotated[str, Depends(import_text)],
                items: Annotated[FormItems, Depends(form_items)]) -> Response:
    """Import a case JSON (file or pasted). Invalid data opens the form pre-filled, errors beside fields."""
    state = app_state(request)
    case_id = next((int(v) for k, v in items if k == "_case_id" and v.isdigit()), None)
    with state.db.read() as s:
        patient = records.get_patient(s, patient_id)
        found = records.get_case(s, case_id) if case_id else None
        case = _case_summary(s, found) if found is not None and found.patient_id == patient_id else None
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
        row, _ = state.workflow.save_and_assess(user.id, patient_id, data, source="import",
                                                case_id=case.id if case else None, client=client_address(request))
    except InputError as exc:
        problems = [(p.path, p.message) for p in exc.problems]
        return _form_page(request, patient, case, case_form.flatten(data), problems, status_code=422)
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@router.post("/cases/{case_id}/assess", include_in_schema=False, dependencies=[CsrfChecked])
def reassess(request: Request, user: CurrentUser, case_id: RecordId) -> Response:
    row, _ = app_state(request).workflow.reassess_latest(user.id, case_id, client_address(request))
    return RedirectResponse(f"/assessments/{row.id}", status_code=303)


@twin_page(router, "/cases/{case_id}/versions/{version}", "case_version.html", CaseVersionContext,
           summary="One version of a case, as entered")
def case_version_page(request: Request, user: CurrentUser, case_id: RecordId, version: RecordId) -> CaseVersionContext:
    """A stored case version with the case's other versions."""
    state = app_state(request)
    with state.db.read() as s:
        case = records.get_case(s, case_id)
        patient = records.get_patient(s, case.patient_id)
        versions = records.list_versions(s, case_id)
        shown = records.get_version(s, case_id, version)
        names = usernames(s, {v.created_by for v in versions})
    audit.write(state.db, user.id, "view", "case_version", shown.id, {"patient_id": patient.id, "case_id": case_id},
                client_address(request))
    return CaseVersionContext(patient=patient_summary(patient), case=case_summary(case, versions, names),
                              version=version_summary(shown, names), data=shown.data)

"""The assessment page, its PDF, and the comparison of two assessments of one patient."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ...errors import InputError, Problem
from ...report.pdf import chart_html, report_html
from ...storage import audit, records
from ..auth import CurrentUser, client_address
from ..contexts import AssessmentPageContext, CompareContext, RecordId, RecordIdQuery
from ..service import assessment_record, assessment_summary, patient_summary, usernames
from ..state import app_state
from ..twins import twin_page
from ..viewbridge import assessment_view, chart_header, compare_view

__all__ = ["router"]

router = APIRouter()


async def _pdf(request: Request, user_id: int, assessment_id: int, full: bool) -> Response:
    """Read and audit in a thread, build the HTML there, render it in the PDF worker pool."""
    state = app_state(request)

    def document() -> tuple[str, str]:
        with state.db.read() as s:
            row = records.get_assessment(s, assessment_id)
            patient = records.get_patient(s, row.patient_id)
            clinician = usernames(s, {row.created_by}).get(row.created_by, "?")
        audit.write(state.db, user_id, "export", "assessment", row.id,
                    {"patient_id": row.patient_id, "format": "pdf-full" if full else "pdf"},
                    client_address(request))
        who = patient_summary(patient)
        view = assessment_view(row.result, row.input_case, state.pack, who, row.id)
        if full:
            return report_html(view), f"revspine-assessment-{row.id}-full.pdf"
        head = chart_header(view, who, row.input_case, clinician, state.settings.clinic_name)
        return chart_html(view, head), f"revspine-assessment-{row.id}.pdf"

    html, filename = await run_in_threadpool(document)
    pdf = await state.pdf.render(html)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/assessments/{assessment_id}.pdf", tags=["pages (JSON twins)"], summary="The chart copy (PDF, two pages)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def assessment_pdf(request: Request, user: CurrentUser, assessment_id: RecordId) -> Response:
    """The chart copy: header, bottom line and signature line on page 1; work-up, ranking, labs and the
    references on page 2 (audited as an export)."""
    return await _pdf(request, user.id, assessment_id, full=False)


@router.get("/assessments/{assessment_id}/report.pdf", tags=["pages (JSON twins)"],
            summary="The full report (PDF, every section)", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
async def assessment_full_pdf(request: Request, user: CurrentUser, assessment_id: RecordId) -> Response:
    """Every section of the assessment, citations written out (audited as an export)."""
    return await _pdf(request, user.id, assessment_id, full=True)


@twin_page(router, "/assessments/{assessment_id}", "assessment.html", AssessmentPageContext,
           summary="One stored assessment")
def assessment_page(request: Request, user: CurrentUser, assessment_id: RecordId) -> AssessmentPageContext:
    """The stored assessment exactly as the engine produced it, with who, when and which versions."""
    state = app_state(request)
    with state.db.read() as s:
        row = records.get_assessment(s, assessment_id)
        patient = records.get_patient(s, row.patient_id)
        rows = records.list_assessments(s, row.patient_id)
        versions = {v: records.get_version_by_id(s, v) for v in {a.case_version_id for a in rows}}
        names = usernames(s, {a.created_by for a in rows})
    audit.write(state.db, user.id, "view", "assessment", row.id, {"patient_id": row.patient_id},
                client_address(request))
    return AssessmentPageContext(
        patient=patient_summary(patient), record=assessment_record(row, versions[row.case_version_id], names),
        assessment=row.result, input_case=row.input_case,
        view=assessment_view(row.result, row.input_case, state.pack, patient_summary(patient), row.id),
        history=[assessment_summary(a, versions[a.case_version_id], names) for a in rows],
    )


@twin_page(router, "/patients/{patient_id}/compare", "compare.html", CompareContext,
           summary="Compare two assessments of one patient")
def compare_page(request: Request, user: CurrentUser, patient_id: RecordId,
                 a: RecordIdQuery, b: RecordIdQuery) -> CompareContext:
    """What changed between two assessments of the same patient, and which findings moved it."""
    state = app_state(request)
    with state.db.read() as s:
        patient = records.get_patient(s, patient_id)
        first, second = records.get_assessment(s, a), records.get_assessment(s, b)
        if first.patient_id != patient_id or second.patient_id != patient_id:
            raise InputError("both assessments must belong to this patient",
                             [Problem("a" if first.patient_id != patient_id else "b", "belongs to another patient")])
        older, newer = sorted((first, second), key=lambda r: (r.created_at, r.id))
        rows = records.list_assessments(s, patient_id)
        versions = {v: records.get_version_by_id(s, v) for v in {x.case_version_id for x in rows}}
        names = usernames(s, {x.created_by for x in rows})
    audit.write(state.db, user.id, "view", "assessment_comparison", patient_id, {"older": older.id, "newer": newer.id},
                client_address(request))
    return CompareContext(
        patient=patient_summary(patient),
        older=assessment_record(older, versions[older.case_version_id], names),
        newer=assessment_record(newer, versions[newer.case_version_id], names),
        diff=compare_view((older.id, older.result, older.input_case), (newer.id, newer.result, newer.input_case),
                          state.pack, [x.result for x in sorted(rows, key=lambda r: (r.created_at, r.id))
                                       if (x.created_at, x.id) <= (newer.created_at, newer.id)]),
        history=[assessment_summary(x, versions[x.case_version_id], names) for x in rows],
    )

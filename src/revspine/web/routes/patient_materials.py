"""For the patient: the printable handout of an assessment, and the offline question box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from ...errors import NotFound, Problem
from ...pipeline import Assessment
from ...report.pdf import handout_html
from ...storage import audit, records
from ...views.patient import HandoutView, answer_question, build_handout_view
from ..auth import CurrentUser, client_address
from ..contexts import AskContext, RecordId
from ..service import patient_summary
from ..state import app_state
from ..twins import twin_page

__all__ = ["router"]

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


def _handout(request: Request, user_id: int, assessment_id: int, fmt: str) -> HandoutView:
    state = app_state(request)
    with state.db.read() as s:
        row = records.get_assessment(s, assessment_id)
        patient = records.get_patient(s, row.patient_id)
    audit.write(state.db, user_id, "export", "assessment", row.id, {"patient_id": row.patient_id, "format": fmt},
                client_address(request))
    settings = state.settings
    view = build_handout_view(Assessment.model_validate(row.result), patient.display_name,
                              clinic_name=getattr(settings, "clinic_name", ""),
                              clinic_contact=getattr(settings, "clinic_contact", ""))
    if view is None:
        raise NotFound("this assessment has no explanation for the patient",
                       [Problem("assessment_id", "no patient explanation was made for it")])
    return view


@router.get("/assessments/{assessment_id}/handout", response_class=HTMLResponse, tags=["pages (JSON twins)"],
            summary="The printable patient handout (HTML)")
def handout_page(request: Request, user: CurrentUser, assessment_id: RecordId) -> HTMLResponse:
    """The plain-language handout for the patient, ready to print (audited as an export)."""
    return HTMLResponse(handout_html(_handout(request, user.id, assessment_id, "handout"), with_script=True),
                        headers=NO_STORE)


@router.get("/assessments/{assessment_id}/handout.pdf", response_class=Response, tags=["pages (JSON twins)"],
            summary="The patient handout as a PDF", responses={200: {"content": {"application/pdf": {}}}})
async def handout_document(request: Request, user: CurrentUser, assessment_id: RecordId) -> Response:
    """The handout as a PDF (audited as an export), rendered in the PDF worker pool (web/pdfpool.py)."""
    document = await run_in_threadpool(lambda: handout_html(_handout(request, user.id, assessment_id, "handout-pdf")))
    pdf = await app_state(request).pdf.render(document)
    return Response(pdf, media_type="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="revspine-handout-{assessment_id}.pdf"'})


@twin_page(router, "/assessments/{assessment_id}/ask", "ask.html", AskContext,
           summary="The patient's question answered from the pack's answers (offline)")
def ask_page(request: Request, user: CurrentUser, assessment_id: RecordId,
             q: Annotated[str, Query(min_length=1, max_length=500, description="The question")]) -> AskContext:
    """The best answers to a question in the patient's words; this patient's personalised answers first."""
    state = app_state(request)
    with state.db.read() as s:
        row = records.get_assessment(s, assessment_id)
        patient = records.get_patient(s, row.patient_id)
    audit.write(state.db, user.id, "view", "assessment", row.id, {"patient_id": row.patient_id, "format": "ask"},
                client_address(request))
    found = answer_question(Assessment.model_validate(row.result), q, state.pack)
    return AskContext(patient=patient_summary(patient), assessment_id=row.id, found=found)

"""Patient links: the clinician makes one from the patient's page; the patient opens it at home.

The patient's side (``/p/{token}``) needs no login and shows one assessment's handout and the
question box, nothing else. An expired, revoked or unknown link gets the same 404 page. Every
opening is in the audit log (``view`` of the ``patient_link``); a refused opening of a known link
too (``refused``, with the reason).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...errors import InputError, Problem
from ...pipeline import Assessment
from ...storage import audit, patient_links, records
from ...storage.tables import PatientLink, PatientRow
from ...views.patient import answer_question, build_handout_view
from ...views.render import render as render_view
from ..auth import CsrfChecked, CurrentUser, client_address
from ..contexts import PatientLinkCreatedContext, PatientLinkSummary, RecordId
from ..service import patient_summary, usernames
from ..state import app_state
from ..twins import render

__all__ = ["router", "link_summaries", "LINK_PREFIX"]

router = APIRouter()
#: Where patient links live; the token follows. Public (no login): the token is the credential.
LINK_PREFIX = "/p/"
#: The patient's pages must not be cached, indexed, or leak their address to another site.
_PATIENT_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _summary(link: PatientLink, names: dict[int, str],
             used: dict[int, tuple[int, datetime | None]]) -> PatientLinkSummary:
    n, last = used.get(link.id, (0, None))
    return PatientLinkSummary(
        id=link.id, assessment_id=link.assessment_id, created_at=link.created_at,
        created_by=names.get(link.created_by, "?"), expires_at=link.expires_at, revoked_at=link.revoked_at,
        state=patient_links.link_state(link), uses=n, last_used_at=last,
    )


def link_summaries(s: Session, patient_id: int) -> list[PatientLinkSummary]:
    """The patient's links for their page, newest first, with how often each was opened."""
    links = patient_links.list_links(s, patient_id)
    names = usernames(s, {link.created_by for link in links})
    used = patient_links.uses(s, [link.id for link in links])
    return [_summary(link, names, used) for link in links]


@router.post("/patients/{patient_id}/links", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[CsrfChecked])
def create_patient_link(request: Request, user: CurrentUser, patient_id: RecordId,
                        assessment_id: Annotated[int, Form()]) -> Response:
    """Make a link to the handout of ``assessment_id``; the page shows it once (only its digest is kept)."""
    state = app_state(request)
    def create(s: Session) -> tuple[PatientRow, PatientLinkSummary, str]:
        patient = records.get_patient(s, patient_id)
        row = records.get_assessment(s, assessment_id)
        if row.patient_id == patient_id and row.result.get("patient") is None:
            raise InputError("this assessment has no explanation for the patient",
                             [Problem("assessment_id", "no handout was made for it")])
        link, token = patient_links.create_link(s, patient_id, assessment_id, user.id, state.settings.patient_link_days)
        audit.record(s, user.id, "create", "patient_link", link.id,
                     {"patient_id": patient_id, "assessment_id": assessment_id}, client_address(request))
        return patient, _summary(link, {user.id: user.username}, {}), token
    patient, summary, token = state.db.write(create)
    url = str(request.base_url).rstrip("/") + LINK_PREFIX + token
    ctx = PatientLinkCreatedContext(patient=patient_summary(patient), link=summary, url=url)
    return render(request, "patient_link_created.html", {"ctx": ctx}, status_code=201)


@router.post("/patients/{patient_id}/links/{link_id}/revoke", include_in_schema=False, dependencies=[CsrfChecked])
def revoke_patient_link(request: Request, user: CurrentUser, patient_id: RecordId, link_id: RecordId) -> Response:
    """End the link now: the patient's next opening gets the 404 page."""
    state = app_state(request)
    def revoke(s: Session) -> None:
        patient_links.revoke_link(s, patient_id, link_id, user.id)
        audit.record(s, user.id, "revoke", "patient_link", link_id, {"patient_id": patient_id},
                     client_address(request))
    state.db.write(revoke)
    return RedirectResponse(f"/patients/{patient_id}#links", status_code=303)


def _gone() -> HTMLResponse:
    """One answer for every link that does not open (unknown, expired or revoked): nothing tells them apart."""
    return HTMLResponse(render_view("patient_link_gone.html"), status_code=404, headers=_PATIENT_HEADERS)


@router.get(LINK_PREFIX + "{token}", response_class=HTMLResponse, include_in_schema=False)
def open_patient_link(request: Request, token: str, q: str = "") -> Response:
    """The patient's handout with the question box (``q``: their question), opened with the link's token."""
    state = app_state(request)
    question = q.strip()[:500]
    with state.db.read() as s:
        found = patient_links.find_link(s, token)
        if found is None:
            return _gone()
        link, link_state = found
        row = records.get_assessment(s, link.assessment_id) if link_state == "live" else None
    if row is None:
        audit.write(state.db, None, "refused", "patient_link", link.id,
                    {"patient_id": link.patient_id, "reason": link_state}, client_address(request))
        return _gone()
    audit.write(state.db, None, "view", "patient_link", link.id,
                {"patient_id": link.patient_id, "assessment_id": link.assessment_id,
                 "format": "ask" if question else "handout"}, client_address(request))
    assessment = Assessment.model_validate(row.result)
    settings = state.settings
    # no name on the page: whoever holds the link learns nothing that identifies the patient
    view = build_handout_view(assessment, None, clinic_name=settings.clinic_name,
                              clinic_contact=settings.clinic_contact)
    if view is None:
        return _gone()
    answers = answer_question(assessment, question, state.pack) if question else None
    page = render_view("handout.html", handout=view, with_script=True, question_action=request.url.path,
                       found=answers)
    return HTMLResponse(page, headers=_PATIENT_HEADERS)

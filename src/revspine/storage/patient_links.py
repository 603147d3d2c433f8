"""Patient links: a random, expiring, revocable link to one patient's handout and question box.

    >>> link, token = create_link(s, patient_id, assessment_id, user_id, days=30)   # token: shown once
    >>> found = find_link(s, token)            # (link, "live" | "expired" | "revoked") or None

The token is 256 random bits (``secrets``); the table keeps only its SHA-256, so a copy of the
database opens no link. Whoever holds the link sees that one assessment's handout and nothing else.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import InputError, NotFound, Problem
from .accounts import now, token_digest
from .tables import AssessmentRow, AuditRow, PatientLink

__all__ = ["LinkState", "create_link", "find_link", "link_state", "list_links", "revoke_link", "uses",
           "TOKEN_SHAPE", "MAX_DAYS"]

LinkState = Literal["live", "expired", "revoked"]
#: What a token looks like (``secrets.token_urlsafe(32)``: 43 characters); anything else is not looked up.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: The longest a link may last, whatever the setting asks (a forgotten link must end).
MAX_DAYS = 365


def create_link(s: Session, patient_id: int, assessment_id: int, user_id: int, days: int) -> tuple[PatientLink, str]:
    """A new link to ``assessment_id`` (an assessment of ``patient_id``), valid ``days`` days.

    Returns the row and the plain token; the token is not stored and cannot be shown again."""
    if not 1 <= days <= MAX_DAYS:
        raise InputError("the link cannot be made", [Problem("days", f"a link lasts 1 to {MAX_DAYS} days")])
    assessment = s.get(AssessmentRow, assessment_id)
    if assessment is None or assessment.patient_id != patient_id:
        raise NotFound(f"assessment {assessment_id} not found for this patient",
                       [Problem("assessment_id", "no such assessment of this patient")])
    token = secrets.token_urlsafe(32)
    t = now()
    link = PatientLink(token_hash=token_digest(token), patient_id=patient_id, assessment_id=assessment_id,
                       created_at=t, created_by=user_id, expires_at=t + timedelta(days=days))
    s.add(link)
    s.flush()
    return link, token


def link_state(link: PatientLink) -> LinkState:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now() else "live"


def find_link(s: Session, token: str) -> tuple[PatientLink, LinkState] | None:
    """The link this token opens and its state; None for a token no link has (a guess, a typo)."""
    if not TOKEN_SHAPE.match(token):
        return None
    link = s.scalars(select(PatientLink).where(PatientLink.token_hash == token_digest(token))).first()
    return None if link is None else (link, link_state(link))


def list_links(s: Session, patient_id: int) -> list[PatientLink]:
    """The patient's links, newest first (live, expired and revoked)."""
    return list(s.scalars(select(PatientLink).where(PatientLink.patient_id == patient_id)
                          .order_by(PatientLink.id.desc())))


def revoke_link(s: Session, patient_id: int, link_id: int, user_id: int) -> PatientLink:
    """End the link now (no effect on one already revoked). A link of another patient is not found."""
    link = s.get(PatientLink, link_id)
    if link is None or link.patient_id != patient_id:
        raise NotFound(f"link {link_id} not found", [Problem("link_id", "no such link for this patient")])
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = now(), user_id
    return link


def uses(s: Session, link_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Per link: how many times it was opened and when last (from the audit log, the one record of use)."""
    if not link_ids:
        return {}
    rows = s.execute(select(AuditRow.object_id, func.count(), func.max(AuditRow.at))
                     .where(AuditRow.object_type == "patient_link", AuditRow.action == "view",
                            AuditRow.object_id.in_(link_ids))
                     .group_by(AuditRow.object_id))
    return {oid: (n, last) for oid, n, last in rows if oid is not None}

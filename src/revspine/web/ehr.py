"""The EHR adapters (CDS Hooks 2.0 and FHIR R4) mounted in the web app, backed by its storage.

- An assessment made for CDS Hooks cards is stored like any other (input case, result, engine and
  knowledge versions) under a patient keyed by the EHR's patient id, so the card's link opens the
  assessment page of this app (after login).
- Feedback on cards (accepted or overridden, with the override reason's code) is written to the
  append-only audit log, once per item across every worker (the database decides). Free-text
  comments are not stored: they may carry patient data.
- The ``jti`` of each client token is kept in the database until the token expires: a token
  replayed to another worker, or after a restart, is refused.
- ``POST /fhir/$assess`` needs an API token, like the REST API.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..assesspool import AssessPool
from ..cdshooks.router import create_cds_router
from ..cdshooks.settings import CdsSettings
from ..fhir.api import create_fhir_router
from ..knowledge import KnowledgePack
from ..storage import accounts, audit, once, records
from ..storage.db import Database
from ..storage.tables import AssessmentRow, PatientRow
from ..workflow import Worked, store_worked
from .auth import require_api_user

__all__ = ["CDS_SERVICE_USER", "StoredAssessments", "AuditFeedbackStore", "DatabaseReplayGuard", "ehr_routers"]

CDS_SERVICE_USER = "cds-hooks"
_EHR_MRN_PREFIX = "ehr:"


def _service_user_id(s: Session) -> int:
    """The service identity CDS Hooks work is recorded under; it cannot log in."""
    user = accounts.get_user_by_name(s, CDS_SERVICE_USER)
    if user is None:
        user = accounts.create_user(s, CDS_SERVICE_USER, secrets.token_urlsafe(32), role="clinician")
        accounts.set_user_active(s, user.id, False)
    return int(user.id)


def _patient_for(s: Session, user_id: int, ehr_patient_id: str | None) -> int:
    key = (_EHR_MRN_PREFIX + (ehr_patient_id or "unknown"))[:64]
    found = s.execute(select(PatientRow.id).where(PatientRow.mrn == key)).scalar_one_or_none()
    if found is not None:
        return int(found)
    row = records.create_patient(s, user_id, f"EHR patient {ehr_patient_id or 'unknown'}"[:200], mrn=key)
    return int(row.id)


class StoredAssessments:
    """``save_assessment`` for the CDS Hooks router: store in the database, return the page's path."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, worked: Worked, source: dict[str, Any]) -> str:
        """Stored by the workflow like every other assessment (same case version and input shape), in one
        writer job: the EHR's patient (found or made) and the case, assessment and audit rows."""
        def store(s: Session) -> AssessmentRow | None:
            uid = _service_user_id(s)
            pid = _patient_for(s, uid, source.get("patientId"))
            return store_worked(s, user_id=uid, patient_id=pid, worked=worked, source="cds-hooks",
                                title=f"CDS Hooks {source.get('hook', '')}".strip(),
                                detail={"source": "cds-hooks"})[1]
        row = await self.db.awrite(store)
        assert row is not None
        return f"/assessments/{row.id}"


class DatabaseReplayGuard:
    """The ``jti`` of every client token, kept in the database (UNIQUE(iss, jti)) until it expires."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_use(self, iss: str, jti: str, expires: float) -> bool:
        return await self.db.awrite(partial(once.first_use_of_jti, iss=iss, jti=jti, expires=expires))


class AuditFeedbackStore:
    """Card feedback into the audit log; the same item sent twice is recorded once, whichever worker
    or host receives it (the database keeps each item's digest, in the audit row's transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, service_id: str, item: dict[str, Any], client: dict[str, Any]) -> bool:
        key = (service_id, str(item.get("card")), str(item.get("outcome")), str(item.get("outcomeTimestamp")))
        reason = (item.get("overrideReason") or {}).get("reason") or {}
        detail = {
            "service": service_id[:40],
            "card": str(item.get("card"))[:40],
            "outcome": str(item.get("outcome"))[:40],
            "reason": str(reason.get("code"))[:40] if reason.get("code") else None,
            "suggestions": len(item.get("acceptedSuggestions") or []),
        }
        def record(s: Session) -> bool:
            if not once.first_feedback(s, *key):
                return False
            audit.record(s, _service_user_id(s), "feedback", "cds_card", None, detail,
                         client=str(client.get("iss") or "")[:200] or None)
            return True
        return await self.db.awrite(record)


def ehr_routers(db: Database, pack: KnowledgePack, settings: CdsSettings | None = None,
                assess_pool: AssessPool | None = None) -> list[APIRouter]:
    """The CDS Hooks and FHIR routers, wired to this app's storage and audit log; hook calls are worked
    out in ``assess_pool``'s workers when there is one (which must hold ``pack``)."""
    cds = create_cds_router(settings, pack=pack,
                            feedback_store=AuditFeedbackStore(db), save_assessment=StoredAssessments(db),
                            replay_guard=DatabaseReplayGuard(db), assess_pool=assess_pool)
    return [cds, create_fhir_router(pack=pack, access=require_api_user)]


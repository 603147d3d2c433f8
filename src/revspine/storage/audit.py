"""The append-only audit log: who viewed, created, changed and exported what.

``detail`` holds ids and codes only, never names, MRNs, dates of birth or case contents.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .accounts import now
from .tables import AuditRow, Base

__all__ = ["ACTIONS", "record", "list_audit"]

ACTIONS = ("view", "create", "change", "export", "revoke", "refused", "login", "login_failed", "logout", "feedback")
_SAFE_DETAIL = (int, float, bool, type(None))
_INSERT = insert(Base.metadata.tables["audit_log"])  # a Core statement, compiled once (every request writes one)


def record(s: Session, user_id: int | None, action: str, object_type: str, object_id: int | None = None,
           detail: dict[str, Any] | None = None, client: str | None = None) -> None:
    """Append one audit row in the caller's transaction (a Core insert: it is on every request's path)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action}")
    clean: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if not isinstance(value, _SAFE_DETAIL) and not (isinstance(value, str) and len(value) <= 40):
            raise ValueError(f"audit detail {key} must be an id or short code")
        clean[key] = value
    s.execute(_INSERT, {"at": now(), "user_id": user_id, "action": action, "object_type": object_type,
                        "object_id": object_id, "detail": clean, "client": client})


def list_audit(s: Session, *, limit: int = 200, object_type: str | None = None,
               object_id: int | None = None) -> list[AuditRow]:
    q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if object_type:
        q = q.where(AuditRow.object_type == object_type)
    if object_id is not None:
        q = q.where(AuditRow.object_id == object_id)
    return list(s.scalars(q))

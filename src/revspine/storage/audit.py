"""The append-only audit log: who viewed, created, changed and exported what.

``detail`` holds ids and codes only, never names, MRNs, dates of birth or case contents.
:func:`record` appends in a writer job's transaction; :func:`write` / :func:`awrite` append one row
through the writer on their own (the audit of a read, e.g. a "view").
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .accounts import now
from .tables import AuditRow, Base

if TYPE_CHECKING:
    from .db import Database

__all__ = ["ACTIONS", "record", "write", "awrite", "list_audit"]

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


def write(db: Database, user_id: int | None, action: str, object_type: str, object_id: int | None = None,
          detail: dict[str, Any] | None = None, client: str | None = None) -> None:
    """Append one audit row through the process's writer and wait for its commit (a patient-data read
    is audited before its answer goes out: nothing is lost, even if the process is killed after)."""
    db.write(partial(record, user_id=user_id, action=action, object_type=object_type, object_id=object_id,
                     detail=detail, client=client))


async def awrite(db: Database, user_id: int | None, action: str, object_type: str, object_id: int | None = None,
                 detail: dict[str, Any] | None = None, client: str | None = None) -> None:
    """:func:`write` for async handlers."""
    await db.awrite(partial(record, user_id=user_id, action=action, object_type=object_type,
                            object_id=object_id, detail=detail, client=client))

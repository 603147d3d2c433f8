"""Server-side web sessions: the cookie carries a random key, the database its SHA-256.

Logging out, revoking a session on the account page, or deactivating the user ends it in every
worker process and on every host at once (each request looks its session up).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ..errors import NotFound, Problem
from .accounts import now, token_digest
from .tables import User, WebSession

__all__ = ["SessionInfo", "start_session", "user_for_session", "end_session", "list_sessions", "revoke_session",
           "revoke_all_sessions"]

_USER_COLUMNS = ("id", "username", "password_hash", "role", "active", "created_at")
_users, _sessions = User.__table__.c, WebSession.__table__.c
_LOOKUP = (select(*(_users[c] for c in _USER_COLUMNS), _sessions.revoked_at, _sessions.expires_at)
           .join_from(WebSession.__table__, User.__table__, _sessions.user_id == _users.id)
           .where(_sessions.key_hash == bindparam("key_hash")))


@dataclass(frozen=True)
class SessionInfo:
    id: int
    created_at: datetime
    expires_at: datetime
    client: str | None
    user_agent: str | None
    current: bool


def start_session(s: Session, user_id: int, lifetime_seconds: int, *, client: str | None = None,
                  user_agent: str | None = None) -> str:
    """A new session for ``user_id``; returns the plain key (for the cookie), stored only as a digest."""
    key = secrets.token_urlsafe(32)
    t = now()
    s.add(WebSession(key_hash=token_digest(key), user_id=user_id, created_at=t, last_seen_at=t,
                     expires_at=t + timedelta(seconds=lifetime_seconds), client=(client or "")[:64] or None,
                     user_agent=(user_agent or "")[:200] or None))
    s.flush()
    return key


def user_for_session(s: Session, key: str) -> User | None:
    """The active user of this live (not revoked, not expired) session, as a detached User; or None."""
    row = s.execute(_LOOKUP, {"key_hash": token_digest(key)}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now() or not row.active:
        return None
    return User(**{c: getattr(row, c) for c in _USER_COLUMNS})


def end_session(s: Session, key: str) -> None:
    s.execute(update(WebSession).where(WebSession.key_hash == token_digest(key), WebSession.revoked_at.is_(None))
              .values(revoked_at=now()))


def list_sessions(s: Session, user_id: int, current_key: str | None = None) -> list[SessionInfo]:
    """The user's live sessions, newest first (``current`` marks the one making this request)."""
    current = token_digest(current_key) if current_key else None
    rows = s.scalars(select(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                     .order_by(WebSession.id.desc()))
    t = now()
    return [SessionInfo(r.id, r.created_at, r.expires_at, r.client, r.user_agent,
                        r.key_hash == current) for r in rows if r.expires_at > t]


def revoke_session(s: Session, user_id: int, session_id: int) -> None:
    row = s.get(WebSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"session {session_id} not found", [Problem("session_id", "no such session")])
    if row.revoked_at is None:
        row.revoked_at = now()


def revoke_all_sessions(s: Session, user_id: int) -> None:
    s.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
              .values(revoked_at=now()))

"""Things that must happen once across every worker and host: CDS client token ids (``jti``) and
card-feedback items. A UNIQUE key in the database decides; the loser of a race sees ``False``."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .accounts import now
from .tables import CardFeedbackSeen, SeenJti

__all__ = ["insert_once", "first_use_of_jti", "first_feedback"]


def insert_once(s: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT unless a unique key is taken (no error, no rollback); True when this call inserted."""
    dialect = s.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = s.execute(maker(table).values(**values).on_conflict_do_nothing().returning(table.c.id)).scalar()
    return inserted is not None


def first_use_of_jti(s: Session, iss: str, jti: str, expires: float) -> bool:
    """Record (iss, jti) until ``expires`` (a Unix time); False when it was seen before (a replay)."""
    if random.random() < 0.01:  # noqa: S311 - housekeeping: forget ids of tokens long expired
        s.execute(delete(SeenJti).where(SeenJti.expires_at < now()))
    table: Table = SeenJti.__table__  # type: ignore[assignment]
    return insert_once(s, table, {"iss": iss[:255], "jti": jti[:255],
                                  "expires_at": datetime.fromtimestamp(expires, UTC)})


def first_feedback(s: Session, *key: str) -> bool:
    """True the first time this feedback item (service, card, outcome, time) is seen."""
    digest = hashlib.sha256("\x1f".join(key).encode()).hexdigest()
    table: Table = CardFeedbackSeen.__table__  # type: ignore[assignment]
    return insert_once(s, table, {"digest": digest, "at": now()})

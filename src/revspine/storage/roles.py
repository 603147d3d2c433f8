"""PostgreSQL: the application role the web app connects as, separate from the role that owns the schema.

The owner runs the migrations (``revspine migrate``); the app role owns nothing, so it cannot drop,
alter or truncate a table, nor disable the append-only triggers. It may read and add rows
everywhere, and change or delete rows only in the tables that are not append-only::

    revspine migrate                              # as the owner
    revspine db grant-app-role revspine_app       # as the owner, once per role
    REVSPINE_DATABASE_URL=postgresql+psycopg://revspine_app:...@host/db revspine serve
"""

from __future__ import annotations

import re

from sqlalchemy import text

from ..errors import InputError, Problem
from .db import Database, storage_errors
from .tables import APPEND_ONLY_TABLES, Base

__all__ = ["grant_app_role"]

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(db: Database, role: str, *, create: bool = False) -> None:
    """Give ``role`` what the app needs on this database (and nothing it could truncate or alter with)."""
    if db.dialect != "postgresql":
        raise InputError("application roles are a PostgreSQL feature", [Problem("database_url", "not PostgreSQL")])
    if not _ROLE.match(role):
        raise InputError("bad role name", [Problem("role", "lower-case letters, digits and '_'")])
    mutable = [t for t in Base.metadata.tables if t not in APPEND_ONLY_TABLES]
    with storage_errors("grant the application role"), db.engine.begin() as conn:
        if create and conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT UPDATE, DELETE ON {", ".join(mutable)} TO "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE INSERT ON alembic_version FROM "{role}"'))

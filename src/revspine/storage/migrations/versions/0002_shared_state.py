"""Shared state in the database, and append-only for real.

- ``web_sessions``: server-side sessions (logout and revoke end a session in every worker at once).
- ``login_attempts``: the login rate limit, shared by every worker and host.
- ``cds_seen_jti``: CDS client token ids seen, UNIQUE(iss, jti), until the token expires.
- ``cds_feedback_seen``: card-feedback items already recorded.
- SQLite: triggers refusing an INSERT over an existing row of an append-only table (``INSERT OR
  REPLACE`` / ``REPLACE INTO`` / ``ON CONFLICT`` would otherwise delete and rewrite it).
- PostgreSQL: ``BEFORE TRUNCATE`` triggers on the append-only tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
#: Every unique key of each append-only table (a REPLACE over any of them deletes the old row).
UNIQUE_KEYS = {"case_versions": (("id",), ("case_id", "version")), "assessments": (("id",),),
               "audit_log": (("id",),)}


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=True),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at"])
    op.create_table(
        "cds_seen_jti",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iss", sa.String(255), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_at", TZ, nullable=False, index=True),
        sa.UniqueConstraint("iss", "jti", name="uq_cds_seen_jti_iss_jti"),
    )
    op.create_table(
        "cds_feedback_seen",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("at", TZ, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for table, keys in UNIQUE_KEYS.items():
        if dialect == "sqlite":
            taken = " OR ".join(
                f"EXISTS (SELECT 1 FROM {table} WHERE " + " AND ".join(f"{c} = NEW.{c}" for c in key) + ")"
                for key in keys)
            op.execute(f"CREATE TRIGGER {table}_no_overwrite BEFORE INSERT ON {table} WHEN {taken} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        elif dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION revspine_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in UNIQUE_KEYS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_overwrite")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in ("cds_feedback_seen", "cds_seen_jti", "login_attempts", "web_sessions"):
        op.drop_table(table)

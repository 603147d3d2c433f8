"""Alembic environment: runs on the connection that revspine.storage.migrate hands over."""

from __future__ import annotations

from alembic import context

from revspine.storage.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through revspine.storage.migrate
    raise RuntimeError("run migrations with `revspine migrate` (revspine.storage.migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

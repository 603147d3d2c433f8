"""Run the Alembic migrations shipped inside the package, programmatically."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import Database, storage_errors

__all__ = ["migrate", "current_revision", "head_revision"]


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("revspine.storage").joinpath("migrations")))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with storage_errors("read the schema version"), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(db: Database, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default: the newest). Returns the revision reached."""
    cfg = _config()
    with storage_errors("migrate the schema"), db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    reached = current_revision(db)
    return reached or ""

"""Storage: SQLAlchemy 2 tables, Alembic migrations shipped in the package, and the record functions.

    >>> db = Database(settings.resolved_database_url())
    >>> migrate(db)
    >>> patient = db.write(lambda s: records.create_patient(s, user.id, "Jane Doe"))   # on the writer
    >>> with db.read() as s:
    ...     patient = records.get_patient(s, patient.id)
"""

from . import accounts, audit, records
from .db import Database, storage_errors
from .migrate import current_revision, head_revision, migrate

__all__ = ["Database", "storage_errors", "migrate", "current_revision", "head_revision", "accounts", "audit",
           "records"]

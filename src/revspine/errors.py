"""One exception tree for revspine.

    RevspineError
    ├── InputError          bad case data (4xx, CLI exit 2, FHIR OperationOutcome)
    ├── KnowledgeError      invalid knowledge pack (start-up failure, CLI exit 3)
    ├── NotFound            a patient, case or assessment that does not exist (404)
    ├── AuthError           missing or bad credentials (401 / 403)
    └── StorageError        the database failed (503)

Every boundary (CLI, HTTP, FHIR) translates these into its own error shape with
``to_dict()``; nothing lower-level (pydantic, sqlite3, psycopg) leaks out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Problem",
    "RevspineError",
    "InputError",
    "KnowledgeError",
    "NotFound",
    "AuthError",
    "StorageError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong."""

    path: str
    message: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.value is not None:
            out["value"] = self.value
        return out

    def line(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class RevspineError(Exception):
    """Base of every error revspine raises on purpose."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    status: int = 500
    exit_code: int = 1
    title: str = "Error"

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(p.line() for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": False,
            "status": self.status,
            "error": self.title,
            "message": self.message,
            "errors": [p.to_dict() for p in self.problems],
        }


@dataclass
class InputError(RevspineError):
    status: int = 422
    exit_code: int = 2
    title: str = "Invalid input"


@dataclass
class KnowledgeError(RevspineError):
    status: int = 500
    exit_code: int = 3
    title: str = "Invalid knowledge pack"


@dataclass
class NotFound(RevspineError):
    status: int = 404
    exit_code: int = 4
    title: str = "Not found"


@dataclass
class AuthError(RevspineError):
    status: int = 401
    exit_code: int = 5
    title: str = "Not authenticated"


@dataclass
class StorageError(RevspineError):
    status: int = 503
    exit_code: int = 6
    title: str = "Storage unavailable"

"""The CDS Hooks 2.0 request and feedback bodies (validated), and small response helpers.

Responses are built as plain dicts (cards.py) and checked against the spec's rules in
the tests; optional fields without a value are left out, never null or empty.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["FhirAuthorization", "CdsRequest", "Coding", "OverrideReason", "FeedbackItem", "FeedbackBody",
           "operation_outcome"]


class _M(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirAuthorization(_M):
    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"FhirAuthorization(scope={self.scope!r}, subject={self.subject!r})"

    __str__ = __repr__


class CdsRequest(_M):
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)  # noqa: N815 - the spec's name
    fhirServer: str | None = None  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> CdsRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


class Coding(_M):
    system: str | None = None
    code: str
    display: str | None = None


class OverrideReason(_M):
    reason: Coding | None = None
    userComment: str | None = None  # noqa: N815


class FeedbackItem(_M):
    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: datetime  # noqa: N815

    @field_validator("acceptedSuggestions")
    @classmethod
    def _ids(cls, v: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if v is not None and not all(isinstance(s.get("id"), str) for s in v):
            raise ValueError("each accepted suggestion needs an id")
        return v

    @model_validator(mode="after")
    def _accepted(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when the outcome is accepted")
        return self


class FeedbackBody(_M):
    feedback: list[FeedbackItem] = Field(min_length=1)


def operation_outcome(code: str, text: str, severity: str = "error",
                      expressions: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": text}
    if expressions:
        issue["expression"] = expressions
    return {"resourceType": "OperationOutcome", "issue": [issue]}

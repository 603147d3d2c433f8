"""A citation as results quote it: id, one line of text, where to read it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CitationRef"]


class CitationRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = Field(description="Authors, title, source, year")
    url: str | None = None
    quality: Literal["primary", "secondary"] = "primary"
    evidence_type: str | None = Field(None, description="Evidence type from the registry's closed list")

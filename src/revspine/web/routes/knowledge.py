"""The knowledge pack's ONC HTI-1 source attributes, one section per decision-support intervention.

No patient data, but signed in like every other page. Linked from every assessment and from every CDS card.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from ...knowledge.interventions import DEMOGRAPHIC_CATEGORIES, SourceAttributes, source_attributes
from ..auth import CurrentUser
from ..contexts import Page
from ..state import app_state
from ..twins import twin_page

__all__ = ["router", "SOURCE_ATTRIBUTES_PATH", "SourceAttributesContext"]

router = APIRouter()
SOURCE_ATTRIBUTES_PATH = "/knowledge/source-attributes"


class SourceAttributesContext(Page):
    knowledge_id: str = Field(description="The knowledge pack in use")
    knowledge_version: str
    knowledge_sources: list[str] = Field(description="Built-in and local packs, with their versions")
    categories: dict[str, str] = Field(description="The demographic and social input categories (HTI-1, and age)")
    interventions: list[SourceAttributes]


@twin_page(router, SOURCE_ATTRIBUTES_PATH, "source_attributes.html", SourceAttributesContext,
           summary="Source attributes (ONC HTI-1) of each decision-support intervention")
def source_attributes_page(request: Request, user: CurrentUser) -> SourceAttributesContext:
    """Bibliographic citations, developer, funding, release and revision dates, and demographic or social inputs
    of the red flags, decision rules, work-up rules and order set."""
    pack = app_state(request).pack
    return SourceAttributesContext(
        knowledge_id=pack.info.id, knowledge_version=pack.version, knowledge_sources=list(pack.sources),
        categories=DEMOGRAPHIC_CATEGORIES, interventions=source_attributes(pack),
    )

"""What the running app holds: settings, database, knowledge pack, templates, login limiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..knowledge import KnowledgePack
from ..lane import Lane
from ..settings import Settings
from ..storage import Database
from ..storage.login_limit import LoginLimit
from ..workflow import Workflow
from .pdfpool import PdfPool
from .tokencache import TokenCache

__all__ = ["AppState", "app_state"]


@dataclass
class AppState:
    settings: Settings
    db: Database
    pack: KnowledgePack
    templates: Jinja2Templates
    limiter: LoginLimit
    tokens: TokenCache = field(default_factory=lambda: TokenCache(0))
    lane: Lane = field(default_factory=Lane)
    pdf: PdfPool = field(default_factory=PdfPool)

    @property
    def workflow(self) -> Workflow:
        """Save, assess, store and audit over this app's database and pack (revspine/workflow.py)."""
        return Workflow(self.db, self.pack)


def app_state(request: Request) -> AppState:
    return cast(AppState, request.app.state.revspine)

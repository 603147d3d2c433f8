"""What the running app holds: settings, database, knowledge pack, templates, login limiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import cast

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..assesspool import AssessPool
from ..knowledge import KnowledgePack
from ..lane import Lane
from ..settings import Settings
from ..storage import Database
from ..storage.login_limit import LoginLimit
from ..workflow import Worked, Workflow, work_out_body
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
    assess: AssessPool | None = None  # None: cases are assessed on the event loop, through the lane

    async def work_out(self, body: bytes) -> Worked:
        """Parse, validate and assess a case sent as JSON (:func:`revspine.workflow.work_out_body`): in the
        assessment worker processes (revspine/assesspool.py), or on this process's event loop in arrival
        order (revspine/lane.py)."""
        if self.assess is not None:
            return await self.assess.work_out(body)
        return await self.lane.run(partial(work_out_body, body, self.pack))

    @property
    def workflow(self) -> Workflow:
        """Save, assess, store and audit over this app's database and pack (revspine/workflow.py)."""
        return Workflow(self.db, self.pack)


def app_state(request: Request) -> AppState:
    return cast(AppState, request.app.state.revspine)

"""A small standalone app with the EHR routers (CDS Hooks and the FHIR endpoint), for tests,
benchmarks and integrators trying the service; the web app includes the same routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response

from ..fhir.api import create_fhir_router
from ..knowledge.pack import KnowledgePack
from ..settings import configured_pack
from .router import create_cds_router
from .settings import CdsSettings
from .store import InMemoryAssessments

__all__ = ["create_ehr_app"]


def create_ehr_app(settings: CdsSettings | None = None, *, pack: KnowledgePack | None = None,
                   **router_kwargs: Any) -> FastAPI:
    pack = pack or configured_pack()
    saved = router_kwargs.pop("save_assessment", None) or InMemoryAssessments()
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded at start-up (modules, the knowledge pack) moves to the permanent
        # generation, so collections under load do not walk it again and again.
        # Fewer, larger young-generation collections suit a request/response server.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        yield

    app = FastAPI(title="revspine EHR integration", docs_url=None, redoc_url=None, lifespan=lifespan)
    cds = create_cds_router(settings, pack=pack, save_assessment=saved, **router_kwargs)
    app.include_router(cds)
    app.include_router(create_fhir_router(pack=pack))
    app.state.cds = cds.state  # type: ignore[attr-defined]

    if isinstance(saved, InMemoryAssessments):
        @app.get("/assessments/{key}", include_in_schema=False)
        async def saved_assessment(key: str) -> Response:
            blob = saved.saved.get(key)
            if blob is None:
                return Response(status_code=404)
            return Response(blob, media_type="application/json")

    return app

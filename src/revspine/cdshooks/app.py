"""A small standalone app with the EHR routers (CDS Hooks and the FHIR endpoint), for tests,
benchmarks and integrators trying the service; the web app includes the same routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Response

from ..assesspool import AssessPool, shared_assess_pool
from ..fhir.api import create_fhir_router
from ..knowledge.pack import KnowledgePack
from ..request_limits import RequestLimits
from ..settings import configured_pack, load_settings
from .router import create_cds_router
from .settings import CdsSettings
from .store import InMemoryAssessments

__all__ = ["create_ehr_app", "create_ehr_app_from_env"]


def create_ehr_app_from_env() -> FastAPI:
    """The app from the ``REVSPINE_*`` settings (for ``uvicorn --factory``): their knowledge pack
    (``REVSPINE_KNOWLEDGE_PACKS``), CDS settings, and assessment workers (``REVSPINE_ASSESS_WORKERS``),
    in which hook calls are worked out, off the event loop."""
    settings = load_settings()
    pool = shared_assess_pool(settings.assess_workers, settings) if settings.assess_workers else None
    return create_ehr_app(settings.cds, pack=configured_pack(), assess_pool=pool,
                          max_body_bytes=settings.max_fhir_body_bytes)


def create_ehr_app(settings: CdsSettings | None = None, *, pack: KnowledgePack | None = None,
                   assess_pool: AssessPool | None = None, max_body_bytes: int | None = None,
                   **router_kwargs: Any) -> FastAPI:
    """The app (default: the pack the ``REVSPINE_*`` settings name; hook calls worked out on the event loop,
    or in ``assess_pool``'s workers, which must hold ``pack``: the app starts them when it starts and stops
    them when it stops).

    Every route carries FHIR resources, so every request body is held to ``max_body_bytes`` (default: the
    ``max_fhir_body_bytes`` setting), checked before authentication and parsing, as in the web app
    (request_limits.py; an Authorization header over 8 KB is refused too)."""
    pack = pack or configured_pack()
    if max_body_bytes is None:
        max_body_bytes = load_settings().max_fhir_body_bytes
    pool = assess_pool
    saved = router_kwargs.pop("save_assessment", None) or InMemoryAssessments()
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded at start-up (modules, the knowledge pack) moves to the permanent
        # generation, so collections under load do not walk it again and again.
        # Fewer, larger young-generation collections suit a request/response server.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        if pool is not None:
            pool.warm()
        yield
        if pool is not None:  # uvicorn ends the process by its signal after this: no exit handler would run
            await anyio.to_thread.run_sync(partial(pool.close, wait=True))

    app = FastAPI(title="revspine EHR integration", docs_url=None, redoc_url=None, lifespan=lifespan)
    cds = create_cds_router(settings, pack=pack, save_assessment=saved, assess_pool=pool, **router_kwargs)
    app.include_router(cds)
    app.include_router(create_fhir_router(pack=pack))
    app.state.cds = cds.state  # type: ignore[attr-defined]
    app.add_middleware(RequestLimits, max_body_bytes=max_body_bytes, max_fhir_body_bytes=max_body_bytes)

    if isinstance(saved, InMemoryAssessments):
        @app.get("/assessments/{key}", include_in_schema=False)
        async def saved_assessment(key: str) -> Response:
            blob = saved.saved.get(key)
            if blob is None:
                return Response(status_code=404)
            return Response(blob, media_type="application/json")

    return app

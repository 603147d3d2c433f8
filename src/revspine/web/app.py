"""The application factory.

    app = create_app(load_settings(), extra_routers=[fhir_router, cds_router])

Extra routers (FHIR, CDS Hooks) are mounted as they are; they can protect their routes with
``Depends(revspine.web.auth.require_api_user)``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..assesspool import shared_assess_pool
from ..cdshooks.settings import CdsSettings
from ..knowledge import KnowledgePack
from ..request_limits import RequestLimits
from ..settings import Settings, load_settings
from ..storage import Database, migrate
from ..storage.login_limit import LoginLimit
from ..version import __version__
from ..views import environment as views_environment
from .ehr import ehr_routers
from .errors import install_error_handlers
from .logs import RequestLogMiddleware
from .pdfpool import shared_pool
from .routes import (
    admin,
    api,
    assessments,
    cases,
    knowledge,
    login,
    patient_links,
    patient_materials,
    patients,
    screening,
)
from .security import SecureCookieOverHttps, SecurityHeadersMiddleware
from .state import AppState
from .tokencache import TokenCache

__all__ = ["create_app", "create_app_from_env", "freeze_startup_objects", "open_database", "route_table",
           "SESSION_COOKIE"]

SESSION_COOKIE = "revspine_session"
log = logging.getLogger("revspine.web")
_WEB = Path(str(resources.files("revspine.web")))

DESCRIPTION = """Decision support for failed back surgery (PSPS type 2) and revision spine surgery.

* **REST API** (`/api/...`): send `Authorization: Bearer <token>` (make a token on your account page,
  or with `revspine token create`).
* **Page twins**: every page (`/patients/42`) has a JSON twin (`/patients/42.json`) built from the same
  context; these accept the session cookie or a Bearer token.
* **Errors** have one shape: `{"ok": false, "status", "error", "message", "errors": [{"path", "message"}]}`.

revspine supports a clinician's decision; it does not make it.
"""


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str], bool]]:
    """Every HTTP route of the app, included routers flattened: (path, methods, in the OpenAPI)."""
    from fastapi.routing import iter_route_contexts

    out = []
    for ctx in iter_route_contexts(app.routes):
        if ctx.path is None or ctx.methods is None:
            continue  # mounts (static files)
        out.append((ctx.path, frozenset(ctx.methods), bool(getattr(ctx.original_route, "include_in_schema", False))))
    return out


def open_database(settings: Settings) -> Database:
    return Database(settings.resolved_database_url(), sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def create_app(settings: Settings | None = None, *, extra_routers: Sequence[APIRouter] = (),
               db: Database | None = None, pack: KnowledgePack | None = None, run_migrations: bool = False,
               ehr: bool = True, cds_settings: CdsSettings | None = None, stop_workers: bool = False) -> FastAPI:
    """Build the app. ``run_migrations`` upgrades the schema first (``revspine serve`` does).

    ``stop_workers``: at shutdown, stop the worker processes (PDF, assessment) shared by every app of this
    process, as a serving process does (``revspine serve``, :func:`create_app_from_env`): uvicorn then ends
    the process by its signal, which runs no exit handler, and the pools' semaphores were reported as
    leaked. Tests build many apps on one set of workers and leave it False.

    ``ehr`` mounts the CDS Hooks service (/cds-services) and the FHIR endpoint (/fhir/$assess),
    backed by this app's storage and audit log (web/ehr.py); ``cds_settings`` defaults to ``settings.cds``.
    """
    settings = settings or load_settings()
    db = db or open_database(settings)
    if run_migrations:
        migrate(db)
    # Assessment workers load the pack these settings name; a pack handed in (tests) is assessed in process.
    assess_pool = shared_assess_pool(settings.assess_workers, settings) if pack is None and settings.assess_workers \
        else None
    pack = pack or settings.load_pack()
    templates = Jinja2Templates(directory=str(_WEB / "templates"))
    shared = views_environment()  # the view layer's filters (num, signed) and globals (timeline_svg...)
    templates.env.filters.update(shared.filters)
    templates.env.globals.update(shared.globals)
    templates.env.globals["version"] = __version__
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.revspine.pdf.warm()  # WeasyPrint loads in the PDF worker while the app starts serving
        if assess_pool is not None:
            assess_pool.warm()  # and the knowledge pack in each assessment worker
        yield
        await anyio.to_thread.run_sync(db.writer.close)  # the writes still queued are committed first
        if stop_workers:
            for pool in (app.state.revspine.pdf, assess_pool):
                if pool is not None:
                    await anyio.to_thread.run_sync(partial(pool.close, wait=True))

    app = FastAPI(title="revspine", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan,
                  openapi_tags=[{"name": "REST API", "description": "Bearer-token API for integrations"},
                                {"name": "pages (JSON twins)", "description": "The JSON form of each page"}])
    app.state.revspine = AppState(
        settings=settings, db=db, pack=pack, templates=templates,
        limiter=LoginLimit(settings.login_max_attempts, settings.login_max_attempts_per_ip,
                           settings.login_window_seconds),
        tokens=TokenCache(settings.token_cache_seconds), pdf=shared_pool(settings.pdf_workers, settings.pdf_queue),
        assess=assess_pool,
    )
    app.add_middleware(SessionMiddleware, secret_key=settings.resolved_secret_key(), session_cookie=SESSION_COOKIE,
                       max_age=settings.session_max_age, same_site="lax", https_only=settings.secure_cookies())
    app.add_middleware(SecureCookieOverHttps, cookie=SESSION_COOKIE)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes,
                       max_fhir_body_bytes=settings.max_fhir_body_bytes)
    app.add_middleware(ProxyHeadersMiddleware,  # outermost: every layer sees the client and scheme the proxy saw
                       trusted_hosts=[h.strip() for h in settings.forwarded_allow_ips.split(",") if h.strip()])
    install_error_handlers(app)
    _mount_docs(app)
    app.mount("/static", StaticFiles(directory=str(_WEB / "static")), name="static")
    cds_settings = cds_settings or settings.cds
    mounted = ehr_routers(db, pack, cds_settings, assess_pool) if ehr else []
    _log_start(pack, cds_settings if ehr else None)
    for router in (login.router, patients.router, cases.router, assessments.router, patient_materials.router,
                   patient_links.router, admin.router, api.router, knowledge.router, screening.router,
                   *mounted, *extra_routers):
        app.include_router(router)
    return app


def _log_start(pack: KnowledgePack, cds: CdsSettings | None) -> None:
    """Say at start-up which knowledge is applied and whom CDS Hooks trusts (and warn when no one)."""
    log.info("revspine %s: knowledge %s (%s)", __version__, pack.version, ", ".join(pack.sources),
             extra={"event": "start", "knowledge": pack.version, "knowledge_sources": list(pack.sources)})
    if cds is None:
        return
    trusted = [i.iss for i in cds.issuers]
    log.info("CDS Hooks trusts: %s", ", ".join(trusted) or "no one",
             extra={"event": "cds_trust", "issuers": trusted, "require_auth": cds.require_auth})
    if cds.require_auth and not trusted:
        log.warning("CDS Hooks: no client is trusted, so every /cds-services call is refused; set "
                    "REVSPINE_CDS__ISSUERS (a trust list, or `sandbox` for the CDS Hooks Sandbox)",
                    extra={"event": "cds_no_trust"})
    elif not cds.require_auth:
        log.warning("CDS Hooks: client authentication is OFF (REVSPINE_CDS__REQUIRE_AUTH=false): local development "
                    "only",
                    extra={"event": "cds_no_auth"})


def _mount_docs(app: FastAPI) -> None:
    """The OpenAPI docs page, with Swagger UI served from the package (nothing from a CDN)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="revspine API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")


def freeze_startup_objects() -> None:
    """For a serving process, once its app is built: the knowledge pack, templates, routes and models
    live as long as the process, so move them out of the garbage collector's sight. Each full
    collection then walks only what requests allocate; without this, one stalled every request in
    flight for ~100 ms about once a second under load (benchmarks/bench_web.py)."""
    gc.collect()
    gc.freeze()


def create_app_from_env() -> FastAPI:
    """The app from ``REVSPINE_*`` settings (for ``uvicorn --factory`` and multi-worker serving)."""
    from .logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = create_app(settings, stop_workers=True)
    freeze_startup_objects()
    return app

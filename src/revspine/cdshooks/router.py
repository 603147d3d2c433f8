"""The CDS Hooks 2.0 HTTP surface as a FastAPI APIRouter: discovery, services, feedback, CORS.

``create_cds_router(...)`` takes the settings, the knowledge pack and the injectable
stores; the web app mounts the router with ``app.include_router(router)``. The JWT check
is the router's own (it does not use the web app's login); failures answer a bare 401
with an OperationOutcome and no detail.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from ..errors import AuthError, InputError, RevspineError
from ..knowledge.pack import KnowledgePack
from ..settings import configured_pack, load_settings
from .auth import ClientVerifier, ReplayGuard, VerifiedClient
from .models import FeedbackBody, operation_outcome
from .prefetch import Unavailable
from .service import HOOKS, BadRequest, Deps, discovery, run_service, validation_message
from .settings import CdsSettings
from .store import FeedbackStore, InMemoryAssessments, InMemoryFeedbackStore, IssuedCards, SaveAssessment

if TYPE_CHECKING:
    from ..assesspool import AssessPool

__all__ = ["create_cds_router", "CdsState"]

log = logging.getLogger("revspine.cdshooks")
_MAX_BODY = 25_000_000


class CdsState:
    """What the router holds (exposed for the web app and tests)."""

    def __init__(self, settings: CdsSettings, pack: KnowledgePack, feedback: FeedbackStore,
                 save_assessment: SaveAssessment, transport: httpx.AsyncBaseTransport | None,
                 jwks_transport: httpx.AsyncBaseTransport | None, replay: ReplayGuard | None = None,
                 assess_pool: AssessPool | None = None):
        self.settings = settings
        self.pack = pack
        self.feedback = feedback
        self.save_assessment = save_assessment
        self.verifier = ClientVerifier(settings, transport=jwks_transport, replay=replay)
        self.issued = IssuedCards()
        self.deps = Deps(pack, settings, save_assessment, transport, assess_pool)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def create_cds_router(settings: CdsSettings | None = None, *, pack: KnowledgePack | None = None,
                      feedback_store: FeedbackStore | None = None, save_assessment: SaveAssessment | None = None,
                      fhir_transport: httpx.AsyncBaseTransport | None = None,
                      jwks_transport: httpx.AsyncBaseTransport | None = None,
                      replay_guard: ReplayGuard | None = None, assess_pool: AssessPool | None = None) -> APIRouter:
    """A router serving /cds-services. Transports are for tests (httpx.MockTransport); ``replay_guard``
    remembers the ``jti`` of client tokens (default: in this process only). With ``assess_pool`` (whose
    workers hold the same pack) a call's parsing, mapping, assessment and cards run in its workers,
    off the event loop."""
    state = CdsState(settings or load_settings().cds, pack or configured_pack(),
                     feedback_store or InMemoryFeedbackStore(), save_assessment or InMemoryAssessments(),
                     fhir_transport, jwks_transport, replay_guard, assess_pool)
    router = APIRouter(tags=["CDS Hooks"])
    router.state = state  # type: ignore[attr-defined]
    s = state.settings

    def cors(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        headers = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                   "Access-Control-Allow-Headers": "Authorization, Content-Type",
                   "Access-Control-Max-Age": "600"}
        if "*" in s.cors_origins:
            headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in s.cors_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
        return headers

    def audience(request: Request) -> str:
        path = request.url.path
        if s.base_url:
            tail = path[path.index("/cds-services"):] if "/cds-services" in path else path
            return s.base_url.rstrip("/") + tail
        return str(request.url.replace(query=""))

    async def authenticate(request: Request) -> VerifiedClient | None:
        if not s.require_auth:
            return None
        return await state.verifier.verify(request.headers.get("authorization"), audience(request),
                                           path=request.url.path)

    def unauthorized(request: Request) -> Response:
        return _json(operation_outcome("login", "not authenticated"), 401,
                     {**cors(request), "WWW-Authenticate": "Bearer"})

    async def raw_body(request: Request) -> bytes:
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > _MAX_BODY:
            raise BadRequest("request body too large")
        return await request.body()

    async def body(request: Request) -> Any:
        try:
            return orjson.loads(await raw_body(request))
        except orjson.JSONDecodeError:
            raise BadRequest("the body is not valid JSON") from None

    @router.options("/cds-services", include_in_schema=False)
    @router.options("/cds-services/{service_id}", include_in_schema=False)
    @router.options("/cds-services/{service_id}/feedback", include_in_schema=False)
    async def preflight(request: Request) -> Response:
        return Response(status_code=204, headers=cors(request))

    @router.get("/cds-services", summary="CDS Hooks discovery")
    async def discover(request: Request) -> Response:
        try:
            await authenticate(request)
        except AuthError:
            return unauthorized(request)
        return _json(discovery(state.pack), headers=cors(request))

    @router.post("/cds-services/{service_id}", summary="Call a CDS service")
    async def call(service_id: str, request: Request) -> Response:
        started = time.perf_counter()
        headers = cors(request)
        if service_id not in HOOKS:
            return _json(operation_outcome("not-found", f"no CDS service '{service_id}'"), 404, headers)
        try:
            verified = await authenticate(request)
        except AuthError:
            return unauthorized(request)
        client = {"iss": verified.iss, "tenant": verified.tenant, "jti": verified.jti} if verified else {}
        try:
            answer = await run_service(service_id, await raw_body(request), state.deps,
                                       app_base=str(request.base_url), client=client)
        except BadRequest as exc:
            return _json(operation_outcome("invalid", exc.message, expressions=[exc.expression] if exc.expression
                                           else None), 400, headers)
        except Unavailable as exc:
            log.info("cds-hooks: %s 412 (missing %s: %s)", service_id, ",".join(exc.keys), exc.reason)
            return _json(operation_outcome("incomplete", f"required data could not be obtained: "
                                           f"{', '.join(exc.keys)} ({exc.reason})"), 412, headers)
        except InputError as exc:
            oo = {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "structure", "diagnostics": f"{p.path}: {p.message}"}
                for p in exc.problems] or [{"severity": "error", "code": "structure", "diagnostics": exc.message}]}
            return _json(oo, 422, headers)
        except RevspineError as exc:
            if exc.status == 503:  # the assessment workers' queue is full, or the database is unavailable
                return _json(operation_outcome("transient", exc.message), 503, {**headers, "Retry-After": "5"})
            log.exception("cds-hooks: %s failed", service_id)
            return _json(operation_outcome("exception", "internal error"), 500, headers)
        except Exception:  # noqa: BLE001 - answer 500 without leaking; the log has the traceback
            log.exception("cds-hooks: %s failed", service_id)
            return _json(operation_outcome("exception", "internal error"), 500, headers)
        if answer.cards:
            state.issued.add(service_id, str(answer.source.get("hookInstance")), answer.cards)
        log.info("cds-hooks: %s %s -> %d card(s) in %.1f ms (iss=%s)", service_id, answer.source.get("hook", "-"),
                 len(answer.cards), (time.perf_counter() - started) * 1000, client.get("iss", "-"))
        return Response(answer.body, media_type="application/json", headers=headers)

    @router.post("/cds-services/{service_id}/feedback", summary="Feedback on cards")
    async def feedback(service_id: str, request: Request) -> Response:
        headers = cors(request)
        if service_id not in HOOKS:
            return _json(operation_outcome("not-found", f"no CDS service '{service_id}'"), 404, headers)
        try:
            verified = await authenticate(request)
        except AuthError:
            return unauthorized(request)
        try:
            fb = FeedbackBody.model_validate(await body(request))
        except BadRequest as exc:
            return _json(operation_outcome("invalid", exc.message), 400, headers)
        except ValidationError as exc:
            return _json(operation_outcome("invalid", validation_message(exc)), 400, headers)
        client = {"iss": verified.iss, "tenant": verified.tenant} if verified else {}
        for item in fb.feedback:
            record = item.model_dump(mode="json", exclude_none=True)
            issued = state.issued.get(item.card)
            if issued is not None:
                record["issued"] = issued
            await state.feedback.record(service_id, record, client)
        return Response(status_code=200, headers=headers)

    return router

"""FHIR endpoint: POST a Bundle, get the assessment back as a Bundle. Errors are OperationOutcomes.

``POST {prefix}/$assess`` with a FHIR R4 Bundle (any type) as ``application/fhir+json``.
Query: ``type=collection|transaction`` (the answer's Bundle type), ``patient=<id>`` (which
patient of a multi-patient Bundle), ``today=YYYY-MM-DD`` (assessment date).

Access: every route depends on the ``access`` dependency given to :func:`create_fhir_router`.
The web app passes its API-token check; the default, :func:`require_fhir_client`, admits callers
only when the setting ``fhir_allow_anonymous`` is true (``REVSPINE_FHIR_ALLOW_ANONYMOUS=true``: local
development). (A parameter rather than ``app.dependency_overrides``: FastAPI re-analyses every
overridden dependency on every request.) Without a ``pack``, the router assesses with the pack the
settings name (``REVSPINE_KNOWLEDGE_PACKS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute

from ..errors import AuthError, InputError, NotFound, Problem, RevspineError
from ..knowledge.pack import KnowledgePack
from ..settings import configured_pack, load_settings
from ..workflow import assess_case
from .reader import bundle_to_case, load_json
from .writer import assessment_to_bundle

__all__ = ["create_fhir_router", "require_fhir_client", "FHIR_JSON"]

FHIR_JSON = "application/fhir+json"


def _outcome(status: int, code: str, texts: list[str]) -> Response:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": t} for t in texts]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status_code=status, media_type=FHIR_JSON, headers=headers)


class _FhirRoute(APIRoute):
    """Renders every error, including those raised by dependencies, as an OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthError:
                return _outcome(401, "login", ["not authenticated"])
            except InputError as exc:
                return _outcome(exc.status, "structure", [p.line() for p in exc.problems] or [exc.message])
            except RevspineError as exc:
                return _outcome(exc.status, "not-found" if exc.status == 404 else "processing", [exc.message])
            except HTTPException as exc:
                code = {401: "login", 403: "forbidden", 404: "not-found"}.get(exc.status_code, "invalid")
                return _outcome(exc.status_code, code, [str(exc.detail)])

        return route


def require_fhir_client(allow_anonymous: bool) -> Callable[[], Awaitable[None]]:
    """Default access check for a stand-alone router: every caller refused unless ``allow_anonymous`` (local
    development); the web app passes its API-token check instead."""

    async def check() -> None:
        if not allow_anonymous:
            raise AuthError("not authenticated")

    return check


def create_fhir_router(*, pack: KnowledgePack | None = None, prefix: str = "/fhir",
                       access: Callable[..., Any] | None = None) -> APIRouter:
    """The router; ``access`` defaults to :func:`require_fhir_client` with the settings' ``fhir_allow_anonymous``."""
    access = access or require_fhir_client(load_settings().fhir_allow_anonymous)
    router = APIRouter(prefix=prefix, tags=["FHIR"], route_class=_FhirRoute, dependencies=[Depends(access)])

    @router.post("/$assess", summary="Assess a patient from a FHIR R4 Bundle; answer a FHIR Bundle",
                 response_class=Response)
    async def assess_bundle(
        request: Request,
        type: Literal["collection", "transaction"] = Query("collection"),  # noqa: A002 - the FHIR word
        patient: str | None = Query(None, max_length=200),
        today: date | None = Query(None),
    ) -> Response:
        use = pack or configured_pack()
        raw = await request.body()
        bundle = load_json(raw, "FHIR Bundle")
        case, report = bundle_to_case(bundle, use, today=today, patient_id=patient)
        if patient is not None and not report.used:  # an assessment built from nothing is no answer
            raise NotFound(f"patient {patient} is not in the Bundle",
                           [Problem("patient", "no Patient resource and no resource about this patient")])
        a = assess_case(case, use)
        out = assessment_to_bundle(a, case, report=report, bundle_type=type, pack=use)
        return Response(orjson.dumps(out), media_type=FHIR_JSON)

    return router

"""Every page has a JSON twin: ``/patients/42`` (HTML) and ``/patients/42.json``, built from one context.

    @twin_page(router, "/patients/{patient_id}", "patient.html", PatientContext, summary="One patient")
    def patient_page(request: Request, user: CurrentUser, patient_id: int) -> PatientContext: ...

The JSON route is documented in the OpenAPI; the HTML route renders ``template`` with ``ctx``.
The ``.json`` route is registered first so ``/patients/42.json`` never reaches the HTML route.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from .auth import csrf_token
from .state import app_state

__all__ = ["twin_page", "render"]

C = TypeVar("C", bound=Callable[..., BaseModel])


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a page template with the common variables (user, csrf_token, json_url)."""
    base = {
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "json_url": request.url.path + ".json" + (f"?{request.url.query}" if request.url.query else ""),
        "settings": app_state(request).settings,
    }
    base.update(context)
    return app_state(request).templates.TemplateResponse(request, template, base, status_code=status_code)


def twin_page(router: APIRouter, path: str, template: str, model: type[BaseModel], *, summary: str,
              tags: list[str | Enum] | None = None) -> Callable[[C], C]:
    def decorator(build: C) -> C:
        @functools.wraps(build)
        def as_json(*args: Any, **kwargs: Any) -> BaseModel:
            return build(*args, **kwargs)

        @functools.wraps(build)
        def as_html(*args: Any, **kwargs: Any) -> Response:
            ctx = build(*args, **kwargs)
            extra = ctx.template_vars() if hasattr(ctx, "template_vars") else {}
            return render(kwargs["request"], template, {"ctx": ctx, **extra})

        router.add_api_route(path + ".json", as_json, methods=["GET"], response_model=model, summary=summary,
                             name=build.__name__ + "_json", tags=tags or ["pages (JSON twins)"])
        router.add_api_route(path, as_html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False,
                             name=build.__name__)
        return build

    return decorator

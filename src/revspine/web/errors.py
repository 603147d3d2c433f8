"""One place that turns errors into responses: the JSON error shape or an HTML error page.

RevspineError -> its status and ``to_dict()``; FastAPI's RequestValidationError -> 422 with
field paths; unknown routes -> 404; anything unexpected -> 500 with no traceback or driver text.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..case.validate import json_path
from ..errors import InputError, Problem, RevspineError
from .auth import LoginRequired, wants_html
from .twins import render

__all__ = ["install_error_handlers", "error_response", "validation_problems"]

log = logging.getLogger("revspine.web")
_TITLES = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated", 403: "Forbidden",
           413: "Too large", 429: "Too many attempts"}


def validation_problems(errors: Any) -> list[Problem]:
    problems = []
    for e in errors:
        loc = list(e.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
            loc = loc[1:]
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        if e.get("type") == "extra_forbidden":
            msg = "unknown field"
        problems.append(Problem(json_path(loc) if loc else "(body)", msg))
    return problems


def error_response(request: Request, exc: RevspineError, headers: dict[str, str] | None = None) -> Response:
    if wants_html(request):
        response = render(request, "error.html", {"error": exc.to_dict()}, status_code=exc.status)
        response.headers.update(headers or {})
        return response
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


async def _revspine_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RevspineError)
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    level = logging.ERROR if exc.status >= 500 else logging.INFO
    log.log(level, "request failed", extra={"event": "error", "error_type": type(exc).__name__,
                                            "status": exc.status, "route": getattr(request.scope.get("route"),
                                                                                    "path", "?")})
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(request, exc, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await _revspine_error(request, InputError("the request is not valid", validation_problems(exc.errors())))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = _TITLES.get(exc.status_code, "Error")
    message = exc.detail if isinstance(exc.detail, str) else title
    err = RevspineError(message, [Problem(request.url.path, title.lower())], status=exc.status_code, title=title)
    return error_response(request, err, dict(exc.headers or {}) or None)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error", extra={"event": "error", "error_type": type(exc).__name__, "status": 500,
                                         "route": getattr(request.scope.get("route"), "path", "?")})
    err = RevspineError("something went wrong on the server; nothing was saved by the failed request",
                        status=500, title="Internal error")
    return error_response(request, err)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RevspineError, _revspine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

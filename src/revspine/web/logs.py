"""Structured service logs without patient data.

The request log records method, the route *template* (``/patients/{patient_id}``, never the
query string, which may hold a searched name), status, duration and user id. Errors are logged
by class and status only, never by message (messages may quote entered values).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["JsonFormatter", "configure_logging", "RequestLogMiddleware", "log"]

log = logging.getLogger("revspine.web")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = record.exc_info[0].__name__
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO", as_json: bool = True) -> None:
    """Send revspine's logs to stderr (JSON lines by default). Idempotent."""
    root = logging.getLogger("revspine")
    root.setLevel(level.upper())
    if not any(getattr(h, "_revspine", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._revspine = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for h in root.handlers:
        h.setFormatter(JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root.propagate = True


class RequestLogMiddleware:
    """Logs one line per request: method, route template, status, milliseconds, user id."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("/static" if scope["path"].startswith("/static/") else "?")
            log.info("request", extra={
                "event": "request", "method": scope["method"], "route": template, "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "user_id": scope.get("state", {}).get("user_id"),
            })

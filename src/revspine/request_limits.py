"""Size limits checked before any parsing or authentication, so no request can stall the event loop
(an ASGI middleware for the web app and the standalone CDS Hooks app).

- An ``Authorization`` header over 8 KB is refused (431) before anything reads it: an 8 MB JWT
  used to cost about 2 s of event-loop time on its way to a 401.
- A request body over its route's limit is refused (413) before authentication and before the
  route reads it: from ``Content-Length`` when sent; a body streamed without it is read here, up
  to the limit, before the route runs.
  FHIR bundles (``/fhir/``, ``/cds-services/``, ``.../import``) get ``max_fhir_body_bytes``; every
  other route ``max_body_bytes`` (settings).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLimits", "MAX_AUTHORIZATION_BYTES"]

MAX_AUTHORIZATION_BYTES = 8192
_FHIR_ROUTES = ("/fhir/", "/cds-services/")


def _error(status: int, title: str, message: str, path: str) -> tuple[Message, Message]:
    body = orjson.dumps({"ok": False, "status": status, "error": title, "message": message,
                         "errors": [{"path": path, "message": message}]})
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]},
            {"type": "http.response.body", "body": body})


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_fhir_body_bytes: int,
                 max_authorization_bytes: int = MAX_AUTHORIZATION_BYTES) -> None:
        self.app = app
        self.max_body, self.max_fhir_body, self.max_auth = max_body_bytes, max_fhir_body_bytes, max_authorization_bytes

    def limit_for(self, path: str) -> int:
        return self.max_fhir_body if path.startswith(_FHIR_ROUTES) or path.endswith("/import") else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"authorization" and len(value) > self.max_auth:
                await _send(send, _error(431, "Request header too large",
                                         f"the Authorization header is over {self.max_auth} bytes", "Authorization"))
                return
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send(send, _error(413, "Too large", f"the request body is over {limit} bytes", "(body)"))
                return
        if not any(name == b"content-length" for name, _ in scope["headers"]) and scope["method"] in _BODY_METHODS:
            # A body streamed without Content-Length is read here, up to the limit, before the app sees the
            # request: a route that reads its body after authentication (or not at all) still answers 413
            # first, and no route parses more than the limit.
            buffered = await _read_within(receive, limit)
            if buffered is None:
                await _send(send, _error(413, "Too large", f"the request body is over {limit} bytes", "(body)"))
                return
            receive = _replay(buffered, receive)
        await self.app(scope, receive, send)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def _read_within(receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to the end of its body (or the client's disconnect), or None once the
    body passes ``limit`` bytes."""
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        received += len(message.get("body", b""))
        if received > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    if messages and all(m["type"] == "http.request" for m in messages):
        messages = [{"type": "http.request", "body": b"".join(m.get("body", b"") for m in messages),
                     "more_body": False}]
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()
    return replayed


async def _send(send: Send, messages: tuple[Message, Message]) -> None:
    for m in messages:
        await send(m)

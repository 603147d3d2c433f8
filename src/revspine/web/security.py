"""Security headers on every response.

Pages with patient data must not linger in a shared clinic computer's cache (``no-store``),
nor be framed by another site; scripts and styles come only from this server.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "SecureCookieOverHttps", "CONTENT_SECURITY_POLICY"]

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'self'")
_COMMON = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"same-origin")]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        static = path.startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _COMMON if k not in names]
                if not static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                if path != "/docs":  # Swagger UI's page starts itself with an inline script
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


class SecureCookieOverHttps:
    """For ``cookie_secure=auto`` on a local address: mark the session cookie Secure on every response
    to a request that came over https (directly, or through a trusted proxy's ``X-Forwarded-Proto``,
    which the proxy-headers middleware has already applied to ``scope["scheme"]``)."""

    def __init__(self, app: ASGIApp, cookie: str):
        self.app = app
        self.prefix = cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v + b"; secure") if k.lower() == b"set-cookie" and v.startswith(self.prefix)
                    and b"secure" not in v.lower() else (k, v) for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, send_wrapper)

"""Who is asking: session cookies for pages, Bearer API tokens for the REST API, roles, CSRF.

Reusable by other routers (FHIR, CDS Hooks)::

    from revspine.web.auth import require_api_user
    @router.get("/fhir/...")
    def handler(user: User = Depends(require_api_user)): ...

Paths under ``/api/`` accept only a Bearer token (no cookie, so no cross-site request can use
them). Pages and their ``.json`` / ``.pdf`` twins accept the session cookie or a Bearer token.
Without credentials, HTML pages redirect to the login page and everything else answers 401.
"""

from __future__ import annotations

import hmac
import secrets
from functools import partial
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import AuthError, Problem
from ..storage import accounts, sessions
from ..storage.tables import User
from .state import app_state

__all__ = ["LoginRequired", "require_user", "require_api_user", "require_admin", "CurrentUser", "AdminUser",
           "ApiUser", "csrf_token", "check_csrf", "check_csrf_signed_in", "CsrfChecked", "LoginCsrfChecked",
           "wants_html", "client_address", "login_session", "logout_session", "session_key", "bearer_scheme"]

bearer_scheme = HTTPBearer(auto_error=False, description="An API token from your account page (`rvs_...`).")
SESSION_KEY = "sid"
SESSION_CSRF = "csrf"


class LoginRequired(AuthError):
    """Raised for an HTML page without a session: the handler redirects to the login page."""


def wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/fhir", "/cds")) or path.endswith((".json", ".pdf")))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(creds: HTTPAuthorizationCredentials | None) -> str | None:
    return creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else None


def _look_up_token(request: Request, token: str) -> User | None:
    """The database lookup (remembered for a few seconds when the token is good: web/tokencache.py)."""
    state = app_state(request)
    with state.db.read() as s:
        user = accounts.user_for_token(s, token)
    if user is not None:
        state.tokens.put(token, user)
    return user


def _user_from_token(request: Request, creds: HTTPAuthorizationCredentials | None) -> User | None:
    token = _bearer(creds)
    if token is None:
        return None
    return app_state(request).tokens.get(token) or _look_up_token(request, token)


def session_key(request: Request) -> str | None:
    """The random key of this browser's server-side session (the cookie holds it, signed)."""
    key = request.session.get(SESSION_KEY)
    return key if isinstance(key, str) else None


def _user_from_session(request: Request) -> User | None:
    """The user of a live server-side session: logout, revoke and deactivation end it in every worker."""
    key = session_key(request)
    if key is None:
        return None
    with app_state(request).db.read() as s:
        user = sessions.user_for_session(s, key)
    if user is None:
        request.session.clear()
    return user


def _unauthenticated(request: Request) -> AuthError:
    if wants_html(request):
        return LoginRequired("please log in", [Problem("session", "no valid session")])
    return AuthError("authentication required: send `Authorization: Bearer <token>`",
                     [Problem("Authorization", "missing, unknown or revoked credentials")])


def require_user(request: Request,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None) -> User:
    """Any signed-in user (session or Bearer token; Bearer only under /api/)."""
    user = _user_from_token(request, creds)
    if user is None and creds is None and not request.url.path.startswith("/api/"):
        user = _user_from_session(request)
    if user is None:
        raise _unauthenticated(request)
    request.state.user_id = user.id
    request.state.user = user
    return user


async def require_api_user(request: Request,
                           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None
                           ) -> User:
    """A Bearer-token user (for REST/FHIR/CDS Hooks routers): 401 otherwise.

    Async: a remembered token is answered on the event loop, with no thread hand-off; a lookup goes
    to the thread pool (no database I/O on the event loop, whichever the database).
    """
    token, state = _bearer(creds), app_state(request)
    user = state.tokens.get(token) if token is not None else None
    if token is not None and user is None:
        user = await run_in_threadpool(_look_up_token, request, token)
    if user is None:
        raise AuthError("authentication required: send `Authorization: Bearer <token>`",
                        [Problem("Authorization", "missing, unknown or revoked credentials")])
    request.state.user_id = user.id
    request.state.user = user
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if user.role != "admin":
        raise AuthError("this page is for administrators", [Problem("role", "admin role required")],
                        status=403, title="Forbidden")
    return user


CurrentUser = Annotated[User, Depends(require_user)]
ApiUser = Annotated[User, Depends(require_api_user)]
AdminUser = Annotated[User, Depends(require_admin)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); every form carries it as ``csrf_token``."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Reject a form POST whose token does not match the session's (403)."""
    expected = request.session.get(SESSION_CSRF)
    if not isinstance(expected, str) or not hmac.compare_digest(expected, csrf_token):
        raise AuthError("the form expired or did not come from this site; reload the page and try again",
                        [Problem("csrf_token", "missing or wrong")], status=403, title="Forbidden")


def check_csrf_signed_in(request: Request, user: Annotated[User, Depends(require_user)],
                         csrf_token: Annotated[str, Form()] = "") -> None:
    """For signed-in forms: the login check first (redirect / 401), then the CSRF check (403)."""
    check_csrf(request, csrf_token)


#: Dependency for the login form (no user yet).
LoginCsrfChecked = Depends(check_csrf)
#: Dependency for every other form POST.
CsrfChecked = Depends(check_csrf_signed_in)


def login_session(request: Request, user: User) -> None:
    """Start a fresh server-side session for ``user`` (new key, new CSRF token: no session fixation)."""
    state = app_state(request)
    key = state.db.write(partial(sessions.start_session, user_id=user.id,
                                 lifetime_seconds=state.settings.session_max_age, client=client_address(request),
                                 user_agent=request.headers.get("user-agent")))
    request.session.clear()
    request.session[SESSION_KEY] = key
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def logout_session(request: Request) -> None:
    """End this browser's session in the database (every worker) and clear the cookie."""
    key = session_key(request)
    if key is not None:
        app_state(request).db.write(partial(sessions.end_session, key=key))
    request.session.clear()

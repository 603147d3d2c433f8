"""Login, logout, the home redirect and the health check."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...storage import accounts, audit
from ...storage.login_limit import Reservation
from ..auth import CsrfChecked, CurrentUser, LoginCsrfChecked, client_address, login_session, logout_session
from ..state import app_state
from ..twins import render

__all__ = ["router", "PUBLIC_PATHS"]

router = APIRouter()
#: Routes anyone may reach (a test checks that every other route needs credentials). A patient link
#: (``/p/{token}``) needs no login: its random token is the credential (routes/patient_links.py).
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/static", "/docs", "/openapi.json", "/favicon.ico", "/p/{token}"})


def _safe_next(target: str | None) -> str:
    if not target:
        return "/patients"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/patients"
    return target


@router.get("/healthz", tags=["service"], summary="Liveness: answers ok when the app is up")
async def healthz() -> dict[str, str]:
    """Answered on the event loop itself: no thread, no database, nothing to wait for."""
    return {"status": "ok"}


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/patients", status_code=303)


@router.api_route("/login", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
async def login_form(request: Request, next: str = "") -> Response:
    """Rendered on the event loop: no database, no thread. A hand-off to the thread pool and back costs two
    wake-ups of other threads, each a wait for a core on a busy machine (benchmarks/bench_stall.py)."""
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse, include_in_schema=False, dependencies=[LoginCsrfChecked])
def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "") -> Response:
    state = app_state(request)
    ip = client_address(request)
    def reserve(s: Session) -> Reservation:  # the slot is taken before the password is checked
        reservation = state.limiter.reserve(s, username, ip)  # (storage/login_limit.py)
        if reservation.wait > 0:
            audit.record(s, None, "login_failed", "user", None, {"reason": "rate_limited"}, ip)
        return reservation
    reservation = state.db.write(reserve)
    if reservation.wait > 0:
        minutes = max(1, round(reservation.wait / 60))
        return render(request, "login.html", {
            "next": _safe_next(next), "username": username,
            "error": f"Too many failed attempts. Try again in about {minutes} minute{'s' if minutes > 1 else ''}."},
            status_code=429)
    with state.db.read() as s:
        user = accounts.authenticate(s, username, password)
    if user is None:
        audit.write(state.db, None, "login_failed", "user", None, {"reason": "bad_credentials"}, ip)
        return render(request, "login.html", {"next": _safe_next(next), "username": username,
                                              "error": "Unknown username or wrong password."}, status_code=401)
    def succeeded(s: Session) -> None:
        state.limiter.succeeded(s, reservation)
        audit.record(s, user.id, "login", "user", user.id, {}, ip)
    state.db.write(succeeded)
    login_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False, dependencies=[CsrfChecked])
def logout(request: Request, user: CurrentUser) -> RedirectResponse:
    audit.write(app_state(request).db, user.id, "logout", "user", user.id, {}, client_address(request))
    logout_session(request)
    return RedirectResponse("/login", status_code=303)



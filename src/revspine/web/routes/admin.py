"""Accounts: the user's own API tokens; for administrators, users and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ...errors import InputError
from ...storage import accounts, audit, sessions
from ...storage.tables import User
from ..auth import AdminUser, CsrfChecked, CurrentUser, client_address, session_key
from ..contexts import (
    AccountContext,
    AuditContext,
    AuditEntry,
    RecordId,
    SessionSummary,
    TokenSummary,
    UserRef,
    UsersContext,
)
from ..service import usernames
from ..state import app_state
from ..twins import render, twin_page

__all__ = ["router"]

router = APIRouter()


def _ref(u: User) -> UserRef:
    return UserRef(id=u.id, username=u.username, role=u.role, active=u.active)


def _account(request: Request, user: User, new_token: str | None = None) -> AccountContext:
    with app_state(request).db.read() as s:
        tokens = accounts.list_tokens(s, user.id)
        live = sessions.list_sessions(s, user.id, session_key(request))
    return AccountContext(user=_ref(user), new_token=new_token, tokens=[
        TokenSummary(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, revoked=t.revoked_at is not None)
        for t in tokens], sessions=[SessionSummary(id=x.id, created_at=x.created_at, expires_at=x.expires_at,
                                                   client=x.client, user_agent=x.user_agent, current=x.current)
                                    for x in live])


@twin_page(router, "/account", "account.html", AccountContext, summary="The signed-in user and their API tokens")
def account_page(request: Request, user: CurrentUser) -> AccountContext:
    """Your account and API tokens (token values are never shown again after creation)."""
    return _account(request, user)


@router.post("/account/tokens", response_class=HTMLResponse, include_in_schema=False, dependencies=[CsrfChecked])
def create_token(request: Request, user: CurrentUser, name: Annotated[str, Form()] = "") -> Response:
    try:
        def create(s: Session) -> str:
            token, plain = accounts.create_token(s, user.id, name)
            audit.record(s, user.id, "create", "api_token", token.id, {}, client_address(request))
            return plain
        plain = app_state(request).db.write(create)
    except InputError as exc:
        return render(request, "account.html", {"ctx": _account(request, user), "error": exc.to_dict()}, 422)
    return render(request, "account.html", {"ctx": _account(request, user, plain)})


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False, dependencies=[CsrfChecked])
def revoke_token(request: Request, user: CurrentUser, token_id: RecordId) -> Response:
    def revoke(s: Session) -> None:
        accounts.revoke_token(s, user.id, token_id)
        audit.record(s, user.id, "change", "api_token", token_id, {"revoked": True}, client_address(request))
    app_state(request).db.write(revoke)
    app_state(request).tokens.clear()
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/{session_id}/revoke", include_in_schema=False, dependencies=[CsrfChecked])
def revoke_session(request: Request, user: CurrentUser, session_id: RecordId) -> Response:
    """End one of your sessions (another browser, a lost device) in every worker at once."""
    def revoke(s: Session) -> None:
        sessions.revoke_session(s, user.id, session_id)
        audit.record(s, user.id, "logout", "session", session_id, {}, client_address(request))
    app_state(request).db.write(revoke)
    return RedirectResponse("/account", status_code=303)


@twin_page(router, "/admin/users", "users.html", UsersContext, summary="Every account (administrators)")
def users_page(request: Request, user: AdminUser) -> UsersContext:
    """Every account with its role and whether it is active."""
    with app_state(request).db.read() as s:
        return UsersContext(users=[_ref(u) for u in accounts.list_users(s)])


@router.post("/admin/users", response_class=HTMLResponse, include_in_schema=False, dependencies=[CsrfChecked])
def create_user(request: Request, user: AdminUser, username: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "clinician") -> Response:
    try:
        def create(s: Session) -> None:
            new = accounts.create_user(s, username, password, role)
            audit.record(s, user.id, "create", "user", new.id, {"role": role}, client_address(request))
        app_state(request).db.write(create)
    except InputError as exc:
        with app_state(request).db.read() as s:
            ctx = UsersContext(users=[_ref(u) for u in accounts.list_users(s)])
        return render(request, "users.html", {"ctx": ctx, "error": exc.to_dict(), "username": username}, 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active", include_in_schema=False, dependencies=[CsrfChecked])
def set_active(request: Request, user: AdminUser, user_id: RecordId, active: Annotated[str, Form()] = "") -> Response:
    def change(s: Session) -> None:
        accounts.set_user_active(s, user_id, active == "true")
        if active != "true":
            sessions.revoke_all_sessions(s, user_id)
        audit.record(s, user.id, "change", "user", user_id, {"active": active == "true"}, client_address(request))
    app_state(request).db.write(change)
    app_state(request).tokens.clear()
    return RedirectResponse("/admin/users", status_code=303)


@twin_page(router, "/admin/audit", "audit.html", AuditContext, summary="The newest audit rows (administrators)")
def audit_page(request: Request, user: AdminUser) -> AuditContext:
    """Who viewed, created, changed and exported what, newest first."""
    with app_state(request).db.read() as s:
        rows = audit.list_audit(s, limit=300)
        names = usernames(s, {r.user_id for r in rows if r.user_id is not None})
    return AuditContext(entries=[
        AuditEntry(id=r.id, at=r.at, user=names.get(r.user_id) if r.user_id else None, action=r.action,
                   object_type=r.object_type, object_id=r.object_id, detail=r.detail) for r in rows])

"""Users and API tokens: argon2 password hashes, tokens stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ..errors import InputError, NotFound, Problem
from .tables import ApiToken, User

__all__ = ["ROLES", "TOKEN_PREFIX", "create_user", "authenticate", "get_user", "get_user_by_name", "list_users",
           "set_user_active", "set_password", "create_token", "token_digest", "user_for_token", "list_tokens",
           "revoke_token", "count_users", "hash_password", "verify_password", "normalise_username"]

ROLES = ("clinician", "admin")
TOKEN_PREFIX = "rvs_"
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, used to keep timing even")


def now() -> datetime:
    return datetime.now(UTC)


def normalise_username(username: str) -> str:
    """The one spelling of a user name that accounts are stored, found and rate-limited under."""
    return username.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_new_user(s: Session, username: str, password: str, role: str) -> list[Problem]:
    problems = []
    if not _USERNAME.match(username):
        problems.append(Problem("username", "use 2-80 lower-case letters, digits, '.', '_' or '-'"))
    elif s.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(Problem("username", "this username is taken"))
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password", f"use at least {MIN_PASSWORD} characters"))
    if role not in ROLES:
        problems.append(Problem("role", f"must be one of: {', '.join(ROLES)}"))
    return problems


def create_user(s: Session, username: str, password: str, role: str = "clinician") -> User:
    username = normalise_username(username)
    problems = _check_new_user(s, username, password, role)
    if problems:
        raise InputError("the user cannot be created", problems)
    user = User(username=username, password_hash=hash_password(password), role=role, active=True, created_at=now())
    s.add(user)
    s.flush()
    return user


def set_password(s: Session, user_id: int, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError("the password is too short", [Problem("password", f"use at least {MIN_PASSWORD} characters")])
    get_user(s, user_id).password_hash = hash_password(password)


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same work either way)."""
    user = get_user_by_name(s, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def get_user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", [Problem("user_id", "no such user")])
    return user


def get_user_by_name(s: Session, username: str) -> User | None:
    return s.scalar(select(User).where(User.username == normalise_username(username)))


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.username)))


def count_users(s: Session) -> int:
    return s.scalar(select(func.count(User.id))) or 0


def set_user_active(s: Session, user_id: int, active: bool) -> User:
    user = get_user(s, user_id)
    user.active = active
    return user


def token_digest(token: str) -> str:
    """How a token is stored and looked up: the SHA-256 of its text, never the text."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(s: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new API token; the plain text is returned once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise InputError("the token needs a name", [Problem("name", "give 1-80 characters")])
    get_user(s, user_id)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=token_digest(plain), prefix=plain[:10], created_at=now())
    s.add(token)
    s.flush()
    return token, plain


_USER_COLUMNS = ("id", "username", "password_hash", "role", "active", "created_at")
_users, _tokens = User.__table__.c, ApiToken.__table__.c
# Every API request looks its token up: a Core statement compiled once, not an ORM query.
_TOKEN_LOOKUP = (select(*(_users[c] for c in _USER_COLUMNS), _tokens.revoked_at)
                 .join_from(ApiToken.__table__, User.__table__, _tokens.user_id == _users.id)
                 .where(_tokens.token_hash == bindparam("token_hash")))


def user_for_token(s: Session, plain: str) -> User | None:
    """The active user holding this unrevoked token (a detached User), or None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    row = s.execute(_TOKEN_LOOKUP, {"token_hash": token_digest(plain)}).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    return User(**{c: getattr(row, c) for c in _USER_COLUMNS})


def list_tokens(s: Session, user_id: int) -> list[ApiToken]:
    return list(s.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(s: Session, user_id: int, token_id: int) -> ApiToken:
    token = s.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"token {token_id} not found", [Problem("token_id", "no such token")])
    if token.revoked_at is None:
        token.revoked_at = now()
    return token

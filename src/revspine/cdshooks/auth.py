"""Verify the CDS client's JWT (CDS Hooks 2.0, "Trusting CDS Clients").

Only ES384/RS384; ``kid`` and ``typ: JWT`` required; ``iss`` from the allow-list; keys
pinned out of band or fetched from an allow-listed ``jku`` (own TTL cache that keeps the
last good keys; each URL is fetched at most once per ``jwks_min_refetch_seconds`` whatever the
outcome, one fetch in flight per URL); ``aud`` equal to the exact endpoint URL; ``exp``, ``iat``
(not in the future beyond a small leeway) and ``jti`` required; a token lives at most
``max_token_lifetime_seconds`` (5 minutes by default); a ``jti`` is accepted once (the web app
keeps the seen ids in its database, so every worker and host agrees). Any failure raises
AuthError with no detail for the caller and logs one line without the token or patient data.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
from jwt import PyJWK

from ..errors import AuthError
from .settings import CdsSettings, TrustedIssuer

__all__ = ["ClientVerifier", "JwksCache", "ReplayCache", "ReplayGuard", "VerifiedClient"]

log = logging.getLogger("revspine.cdshooks.auth")
_KTY = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None)}
_SAFE = re.compile(r"[^A-Za-z0-9._:/@+-]")


def _safe(value: Any, limit: int = 80) -> str:
    """A claim made safe for a log line (printable, short); tokens are never logged."""
    return _SAFE.sub("?", str(value))[:limit] if value is not None else "-"


@dataclass(frozen=True)
class VerifiedClient:
    iss: str
    jti: str
    tenant: str | None
    kid: str


@dataclass(frozen=True)
class _Key:
    jwk: PyJWK
    kty: str
    crv: str | None


class _Reject(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _CachedSet:
    keys: dict[str, _Key]
    fetched: float


@dataclass
class JwksCache:
    """JWK Sets by URL: TTL, last-good on failure; a URL is fetched at most once per ``min_refetch``
    seconds whatever the outcome (a failed or refused fetch counts), with one fetch in flight per URL,
    so tokens naming unknown ``kid`` values cannot make this service hammer a key server."""

    ttl: float
    min_refetch: float
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    sets: dict[str, _CachedSet] = field(default_factory=dict)
    tried: dict[str, float] = field(default_factory=dict)
    fetches: int = 0
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def _fetch(self, url: str) -> dict[str, _Key]:
        self.fetches += 1
        async with httpx.AsyncClient(transport=self.transport, timeout=5.0, follow_redirects=False) as client:
            r = await client.get(url, headers={"Accept": "application/json"})
        if r.status_code != 200 or len(r.content) > 200_000:
            raise _Reject(f"jwks fetch failed ({r.status_code})")
        return _parse_set(r.json())

    def _may_fetch(self, url: str) -> bool:
        last = self.tried.get(url)
        return last is None or self.clock() - last >= self.min_refetch

    async def key(self, url: str, kid: str) -> _Key | None:
        cached = self.sets.get(url)
        if cached is not None and self.clock() - cached.fetched < self.ttl and kid in cached.keys:
            return cached.keys[kid]
        lock = self._locks.setdefault(url, asyncio.Lock())
        if lock.locked() or self._may_fetch(url):
            async with lock:  # one fetch in flight per URL; the others wait for its outcome
                if self._may_fetch(url):
                    self.tried[url] = self.clock()
                    try:
                        self.sets[url] = _CachedSet(await self._fetch(url), self.clock())
                    except (httpx.HTTPError, ValueError, _Reject) as exc:
                        log.warning("cds-hooks: JWKS fetch from %s failed (%s); keeping the last good keys",
                                    _safe(url, 200), type(exc).__name__)
        cached = self.sets.get(url)
        return cached.keys.get(kid) if cached is not None else None


def _parse_set(data: Any) -> dict[str, _Key]:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWK Set")
    out: dict[str, _Key] = {}
    for k in data["keys"]:
        if not isinstance(k, dict) or not isinstance(k.get("kid"), str):
            continue
        if k.get("kty") not in ("EC", "RSA") or "d" in k:  # public asymmetric keys only
            continue
        try:
            out[k["kid"]] = _Key(PyJWK(k), k["kty"], k.get("crv"))
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError):
            continue
    return out


class ReplayGuard(Protocol):
    async def first_use(self, iss: str, jti: str, expires: float) -> bool:
        """Remember (iss, jti) until ``expires`` (Unix time); False when it was used before."""
        ...


class ReplayCache:
    """Seen (iss, jti) pairs until their token expires, in this process only; bounded (oldest evicted).
    For the standalone service and tests: the web app uses its database (storage/once.py)."""

    def __init__(self, size: int, clock: Callable[[], float] = time.time):
        self.size = size
        self.clock = clock
        self.seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def check_and_add(self, iss: str, jti: str, expires: float) -> bool:
        now = self.clock()
        while self.seen:
            key, exp = next(iter(self.seen.items()))
            if exp > now and len(self.seen) < self.size:
                break
            self.seen.popitem(last=False)
        if (iss, jti) in self.seen:
            return False
        self.seen[(iss, jti)] = expires
        return True

    async def first_use(self, iss: str, jti: str, expires: float) -> bool:
        return self.check_and_add(iss, jti, expires)


class ClientVerifier:
    def __init__(self, settings: CdsSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time, replay: ReplayGuard | None = None):
        self.settings = settings
        self.clock = clock
        self.jwks = JwksCache(settings.jwks_cache_seconds, settings.jwks_min_refetch_seconds, transport)
        self.replay: ReplayGuard = replay or ReplayCache(settings.jti_cache_size, clock)
        self._pinned = {i.iss: _parse_set(i.jwks) for i in settings.issuers if i.jwks}

    async def _key(self, issuer: TrustedIssuer, header: dict[str, Any], kid: str) -> _Key:
        jku = header.get("jku")
        if jku is not None and jku not in issuer.jku:
            raise _Reject("jku not on the allow-list")
        pinned = self._pinned.get(issuer.iss, {})
        if kid in pinned:
            return pinned[kid]
        url = jku or (issuer.jku[0] if issuer.jku else None)
        key = await self.jwks.key(url, kid) if url else None
        if key is None:
            raise _Reject("unknown kid")
        return key

    async def verify(self, authorization: str | None, audience: str, *, path: str = "") -> VerifiedClient:
        """The verified client, or AuthError (and one log line saying why)."""
        claims: dict[str, Any] = {}
        try:
            if not authorization or not authorization.startswith("Bearer "):
                raise _Reject("no bearer token")
            token = authorization[7:].strip()
            try:
                header = jwt.get_unverified_header(token)
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.PyJWTError:
                raise _Reject("not a JWT") from None
            return await self._verify(token, header, claims, audience)
        except _Reject as r:
            log.warning("cds-hooks: client token rejected: %s (iss=%s jti=%s path=%s)", r.reason,
                        _safe(claims.get("iss")), _safe(claims.get("jti")), _safe(path, 200))
            raise AuthError("not authenticated") from None

    async def _verify(self, token: str, header: dict[str, Any], claims: dict[str, Any],
                      audience: str) -> VerifiedClient:
        alg = header.get("alg")
        if alg not in self.settings.algorithms:
            raise _Reject(f"algorithm {_safe(alg)} not allowed")
        if header.get("typ") != "JWT":
            raise _Reject("typ is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _Reject("kid missing")
        issuer = self.settings.issuer(str(claims.get("iss")))
        if issuer is None:
            raise _Reject("issuer not trusted")
        key = await self._key(issuer, header, kid)
        kty, crv = _KTY[alg]
        if key.kty != kty or (crv is not None and key.crv != crv):
            raise _Reject("key does not fit the algorithm")
        leeway = self.settings.leeway_seconds
        try:
            verified = jwt.decode(
                token, key.jwk.key, algorithms=[alg], audience=audience, issuer=issuer.iss, leeway=leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_iat": True},
            )
        except jwt.InvalidAudienceError:
            raise _Reject(f"aud mismatch: expected {_safe(audience, 200)}, received "
                          f"{_safe(claims.get('aud'), 200)} (set REVSPINE_CDS__BASE_URL to the URL clients call)"
                          ) from None
        except jwt.PyJWTError as exc:
            raise _Reject(type(exc).__name__) from None
        now = self.clock()
        iat, exp = verified["iat"], verified["exp"]
        if not isinstance(iat, (int, float)) or iat > now + leeway:
            raise _Reject("iat in the future")
        if exp - iat > self.settings.max_token_lifetime_seconds:
            raise _Reject("token lifetime too long")
        tenant = verified.get("tenant")
        if issuer.tenants and tenant not in issuer.tenants:
            raise _Reject("tenant not allowed")
        jti = verified["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > 255:
            raise _Reject("jti missing or longer than 255 characters")
        if not await self.replay.first_use(issuer.iss, jti, float(exp) + leeway):
            raise _Reject("jti replayed")
        return VerifiedClient(issuer.iss, jti, tenant if isinstance(tenant, str) else None, kid)

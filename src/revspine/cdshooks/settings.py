"""CDS Hooks service settings: trusted clients, URLs, CORS and limits, from code or environment.

Environment (all optional):

- ``REVSPINE_CDS_BASE_URL``: public base URL of this service (``https://cds.example.org``). The JWT
  ``aud`` must equal this plus the endpoint path; without it the URL of the incoming request is used.
- ``REVSPINE_CDS_TRUST``: JSON list of trusted issuers, or a path to a JSON file holding it, or the
  name of a preset: ``sandbox`` trusts the public CDS Hooks Sandbox (its public ES384 key ships in
  ``presets/sandbox-jwks.json``, so nothing is fetched). Each issuer:
  ``{"iss": "...", "jku": ["https://.../jwks.json"], "jwks": {...} | "jwks_file": "...",
  "tenants": [...]}``.
- ``REVSPINE_CDS_REQUIRE_AUTH``: ``true`` (default) or ``false`` (local development only).
- ``REVSPINE_CDS_CORS_ORIGINS``: comma-separated origins, or ``*`` (default).
- ``REVSPINE_CDS_ALLOW_HTTP_FHIR``: ``true`` lets the service send ``fhirAuthorization`` tokens to a
  plain-http ``fhirServer`` (testing only; default false).
- ``REVSPINE_APP_URL``: base URL of the revspine web app, for the card links.
- ``REVSPINE_CDS_SOURCE_URL``: the ``source.url`` of every card (e.g. the knowledge pack page).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["TrustedIssuer", "CdsSettings", "load_jwks", "TRUST_PRESETS", "SANDBOX_ISS"]

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
_PRESETS = Path(__file__).parent / "presets"


def _sandbox() -> list[dict[str, Any]]:
    """The CDS Hooks Sandbox (https://sandbox.cds-hooks.org): its public key, from cds-hooks/sandbox
    (Apache-2.0, commit 3b7e255), pinned so the service never needs to reach the Sandbox's jku."""
    return [{"iss": SANDBOX_ISS, "jku": [f"{SANDBOX_ISS}/.well-known/jwks.json"],
             "jwks_file": str(_PRESETS / "sandbox-jwks.json")}]


#: Ready-made trust lists, by the name given in REVSPINE_CDS_TRUST.
TRUST_PRESETS = {"sandbox": _sandbox}


def load_jwks(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{path} is not a JWK Set (an object with a 'keys' array)")
    return data


class TrustedIssuer(BaseModel):
    """One CDS client (EHR) this service trusts."""

    model_config = ConfigDict(extra="forbid")

    iss: str = Field(description="The exact `iss` claim the client sends")
    jku: list[str] = Field(default_factory=list, description="JWK Set URLs this issuer may name in `jku` (https)")
    jwks: dict[str, Any] | None = Field(None, description="The issuer's public JWK Set, exchanged out of band")
    jwks_file: str | None = Field(None, description="Path to a JSON file holding that JWK Set")
    tenants: list[str] = Field(default_factory=list, description="If given, the `tenant` claim must be one of these")

    @field_validator("jku")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for url in v:
            if urlsplit(url).scheme != "https":
                raise ValueError(f"jku {url} must be an https URL")
        return v

    @model_validator(mode="after")
    def _keys(self) -> TrustedIssuer:
        if self.jwks_file and self.jwks is None:
            self.jwks = load_jwks(self.jwks_file)
        if self.jwks is None and not self.jku:
            raise ValueError(f"issuer {self.iss}: give its JWK Set (jwks / jwks_file) or the jku URLs to fetch it")
        return self


class CdsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    issuers: list[TrustedIssuer] = Field(default_factory=list)
    require_auth: bool = True
    algorithms: list[str] = Field(default_factory=lambda: ["ES384", "RS384"])
    leeway_seconds: int = Field(30, ge=0, le=300)
    max_token_lifetime_seconds: int = Field(300, gt=0)
    jwks_cache_seconds: int = Field(600, gt=0)
    jwks_min_refetch_seconds: int = Field(30, ge=0)
    jti_cache_size: int = Field(100_000, gt=0)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    allow_http_fhir_server: bool = False
    fhir_timeout_seconds: float = Field(5.0, gt=0)
    fhir_max_pages: int = Field(10, ge=1)
    app_url: str | None = None
    source_url: str | None = None

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in ("ES384", "RS384")]
        if bad or not v:
            raise ValueError(f"only ES384 and RS384 may be allowed (CDS Hooks 2.0), not {bad or 'none'}")
        return v

    def issuer(self, iss: str) -> TrustedIssuer | None:
        return next((i for i in self.issuers if i.iss == iss), None)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> CdsSettings:
        env = dict(os.environ if env is None else env)

        def flag(name: str, default: bool) -> bool:
            v = env.get(name)
            return default if v is None else v.strip().lower() in ("1", "true", "yes", "on")

        trust = env.get("REVSPINE_CDS_TRUST", "").strip()
        issuers: list[Any] = []
        if trust in TRUST_PRESETS:
            issuers = TRUST_PRESETS[trust]()
        elif trust:
            text = trust if trust.startswith("[") else Path(trust).read_text(encoding="utf-8")
            issuers = json.loads(text)
        origins = [o.strip() for o in env.get("REVSPINE_CDS_CORS_ORIGINS", "*").split(",") if o.strip()]
        return cls(
            base_url=env.get("REVSPINE_CDS_BASE_URL") or None,
            issuers=issuers,
            require_auth=flag("REVSPINE_CDS_REQUIRE_AUTH", True),
            cors_origins=origins,
            allow_http_fhir_server=flag("REVSPINE_CDS_ALLOW_HTTP_FHIR", False),
            app_url=env.get("REVSPINE_APP_URL") or None,
            source_url=env.get("REVSPINE_CDS_SOURCE_URL") or None,
        )

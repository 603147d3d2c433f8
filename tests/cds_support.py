"""Helpers for the CDS Hooks tests: an app, calls over ASGI, client keys and tokens, spec checks."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from revspine.cdshooks import CdsSettings, InMemoryFeedbackStore
from revspine.cdshooks.app import create_ehr_app

BASE = "https://cds.test"
ISS = "https://ehr.test"
JKU = "https://ehr.test/.well-known/jwks.json"


def call(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


class ClientKeys:
    """An EHR's signing keys (ES384 and RS384) and its public JWK Set."""

    def __init__(self, kid: str = "ehr-key-1"):
        self.kid = kid
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        self.jwks = {"keys": [{**ec_jwk, "kid": kid, "alg": "ES384", "use": "sig"},
                              {**rsa_jwk, "kid": f"{kid}-rsa", "alg": "RS384", "use": "sig"}]}

    def token(self, aud: str, *, alg: str = "ES384", iss: str = ISS, kid: str | None = "__default__",
              jku: str | None = None, exp_in: int = 300, iat_shift: int = 0, jti: str | None = None,
              extra: dict[str, Any] | None = None, key: Any = None) -> str:
        now = int(time.time())
        payload = {"iss": iss, "aud": aud, "exp": now + exp_in, "iat": now + iat_shift,
                   "jti": jti or str(uuid.uuid4()), **(extra or {})}
        headers: dict[str, Any] = {"typ": "JWT"}
        if kid == "__default__":
            headers["kid"] = self.kid if alg == "ES384" else f"{self.kid}-rsa"
        elif kid is not None:
            headers["kid"] = kid
        if jku:
            headers["jku"] = jku
        signer = key or (self.ec if alg == "ES384" else self.rsa)
        return jwt.encode(payload, signer, algorithm=alg, headers=headers)


def settings(keys: ClientKeys | None = None, **kw: Any) -> CdsSettings:
    issuers = []
    if keys is not None:
        issuers.append({"iss": ISS, "jwks": keys.jwks, "jku": [JKU]})
    return CdsSettings(base_url=BASE, issuers=issuers, require_auth=keys is not None, **kw)


def make_app(keys: ClientKeys | None = None, *, fhir: httpx.AsyncBaseTransport | None = None,
             jwks: httpx.AsyncBaseTransport | None = None, **kw: Any) -> tuple[Any, InMemoryFeedbackStore]:
    store = InMemoryFeedbackStore()
    app = create_ehr_app(settings(keys, **kw), feedback_store=store, fhir_transport=fhir, jwks_transport=jwks)
    return app, store


def unreachable() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network in tests", request=request)

    return httpx.MockTransport(handler)


def _no_empty(value: Any, path: str, problems: list[str]) -> None:
    if value is None or value == [] or value == {} or value == "":
        problems.append(f"{path} is empty or null (CDS Hooks: omit optional fields without a value)")
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_empty(v, f"{path}.{k}", problems)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_empty(v, f"{path}[{i}]", problems)


def card_problems(response: dict[str, Any]) -> list[str]:
    """Violations of the CDS Hooks 2.0 response rules."""
    problems: list[str] = []
    cards = response.get("cards")
    if not isinstance(cards, list):
        return ["cards must be an array"]
    for i, card in enumerate(cards):
        p = f"cards[{i}]"
        _no_empty(card, p, problems)
        if not isinstance(card.get("summary"), str) or not len(card["summary"]) < 140:
            problems.append(f"{p}.summary must be a string under 140 characters")
        if card.get("indicator") not in ("info", "warning", "critical"):
            problems.append(f"{p}.indicator invalid")
        src = card.get("source") or {}
        if src.get("label") != "revspine":
            problems.append(f"{p}.source.label must name revspine")
        if "topic" in src and not {"code", "display"} <= set(src["topic"]):
            problems.append(f"{p}.source.topic must be a Coding")
        try:
            uuid.UUID(card.get("uuid", ""))
        except ValueError:
            problems.append(f"{p}.uuid missing")
        if "suggestions" in card:
            if card.get("selectionBehavior") not in ("at-most-one", "any"):
                problems.append(f"{p}.selectionBehavior required with suggestions")
            for j, s in enumerate(card["suggestions"]):
                if not s.get("label") or not s.get("uuid"):
                    problems.append(f"{p}.suggestions[{j}] needs label and uuid")
                for a in s.get("actions", []):
                    if a.get("type") not in ("create", "update", "delete") or not a.get("description"):
                        problems.append(f"{p}.suggestions[{j}] action invalid")
        elif "selectionBehavior" in card:
            problems.append(f"{p}.selectionBehavior without suggestions")
        for r in card.get("overrideReasons", []):
            if not r.get("display") or not r.get("code"):
                problems.append(f"{p}.overrideReasons need code and display")
        for link in card.get("links", []):
            if link.get("type") not in ("absolute", "smart") or not str(link.get("url", "")).startswith("http"):
                problems.append(f"{p}.links need an absolute url and type")
    return problems


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r} for r in resources]}


def prefetch_for(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The prefetch a client would send for revspine's templates."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        by.setdefault(r["resourceType"], []).append(r)
    patient = (by.get("Patient") or [None])[0]
    return {
        "patient": patient,
        "conditions": searchset(by.get("Condition", [])),
        "procedures": searchset(by.get("Procedure", [])),
        "observations": searchset(by.get("Observation", [])),
        "medications": searchset([m for m in by.get("MedicationRequest", []) if m.get("status") == "active"]),
        "allergies": searchset(by.get("AllergyIntolerance", [])),
        "imaging": searchset(by.get("ImagingStudy", [])),
        "reports": searchset(by.get("DiagnosticReport", [])),
    }


def hook_request(hook: str, patient_id: str, prefetch: dict[str, Any] | None = None,
                 **context: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()),
                            "context": {"userId": "Practitioner/dr-1", "patientId": patient_id, **context}}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body

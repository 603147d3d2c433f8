"""The client JWT: a token-attack suite rejected in full, valid ES384/RS384 tokens accepted, JWKS by jku."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from revspine.cdshooks import CdsSettings
from revspine.cdshooks.settings import load_jwks

from .cds_support import BASE, ISS, JKU, ClientKeys, call, make_app

DISCOVERY = f"{BASE}/cds-services"
SERVICE = f"{BASE}/cds-services/revspine-patient-view"


@pytest.fixture(scope="module")
def keys() -> ClientKeys:
    return ClientKeys()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _none_token(aud: str) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "ehr-key-1"}).encode())
    payload = _b64(json.dumps({"iss": ISS, "aud": aud, "exp": 9999999999, "iat": 1, "jti": "n"}).encode())
    return f"{header}.{payload}."


def _hmac_token(keys: ClientKeys, aud: str) -> str:
    # the classic confusion attack: HS256 signed with the public key as the HMAC secret
    pem = keys.ec.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "typ": "JWT", "kid": keys.kid}
    payload = {"iss": ISS, "aud": aud, "exp": 9999999999, "iat": 1, "jti": "h"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    import hashlib
    import hmac

    sig = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def _tampered(keys: ClientKeys, aud: str) -> str:
    head, payload, sig = keys.token(aud).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["iss"] = ISS
    claims["tenant"] = "other-hospital"
    return f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"


ATTACKS = {
    "alg none": lambda k: _none_token(DISCOVERY),
    "HS256 (HMAC with the public key)": lambda k: _hmac_token(k, DISCOVERY),
    "wrong key (same kid)": lambda k: k.token(DISCOVERY, key=ec.generate_private_key(ec.SECP384R1())),
    "expired": lambda k: k.token(DISCOVERY, exp_in=-120, iat_shift=-400),
    "iat in the future": lambda k: k.token(DISCOVERY, iat_shift=600, exp_in=900),
    "wrong aud": lambda k: k.token(f"{BASE}/cds-services/other"),
    "aud of another host": lambda k: k.token("https://evil.test/cds-services"),
    "unknown iss": lambda k: k.token(DISCOVERY, iss="https://evil.test"),
    "jku off the allow-list": lambda k: k.token(DISCOVERY, jku="https://evil.test/jwks.json"),
    "missing kid": lambda k: k.token(DISCOVERY, kid=None),
    "unknown kid": lambda k: k.token(DISCOVERY, kid="nope"),
    "tampered payload": lambda k: _tampered(k, DISCOVERY),
    "lifetime over an hour": lambda k: k.token(DISCOVERY, exp_in=7200),
    "lifetime of ten minutes": lambda k: k.token(DISCOVERY, exp_in=600),
    "RS384 header with the EC key id": lambda k: k.token(DISCOVERY, alg="RS384", kid=k.kid),
    "garbage": lambda k: "not.a.jwt",
}


REASONS = {
    "alg none": "algorithm none not allowed", "HS256 (HMAC with the public key)": "algorithm HS256 not allowed",
    "wrong key (same kid)": "InvalidSignatureError", "expired": "ExpiredSignatureError",
    "iat in the future": "ImmatureSignatureError",
    "wrong aud": f"aud mismatch: expected {DISCOVERY}, received {DISCOVERY}/other",
    "aud of another host": f"aud mismatch: expected {DISCOVERY}, received https://evil.test/cds-services",
    "unknown iss": "issuer not trusted",
    "jku off the allow-list": "jku not on the allow-list", "missing kid": "kid missing", "unknown kid": "unknown kid",
    "tampered payload": "InvalidSignatureError", "lifetime over an hour": "token lifetime too long",
    "lifetime of ten minutes": "token lifetime too long",
    "RS384 header with the EC key id": "key does not fit the algorithm", "garbage": "not a JWT",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_rejected(keys, attack, caplog):
    app, _ = make_app(keys)
    token = ATTACKS[attack](keys)
    with caplog.at_level(logging.WARNING, logger="revspine.cdshooks"):
        r = call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "services" not in r.text and "cards" not in r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["issue"][0]["diagnostics"] == "not authenticated"  # no reason given to the caller
    lines = [rec.getMessage() for rec in caplog.records if "rejected" in rec.getMessage()]
    signature = token.split(".")[-1]
    assert len(lines) == 1 and token not in lines[0] and (not signature or signature not in lines[0])
    assert REASONS[attack] in lines[0]


def test_replayed_jti_rejected(keys):
    app, _ = make_app(keys)
    token = keys.token(DISCOVERY)
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_missing_token_rejected_and_service_gives_no_card(keys):
    app, _ = make_app(keys)
    assert call(app, "GET", "/cds-services").status_code == 401
    r = call(app, "POST", "/cds-services/revspine-patient-view", json={"hook": "patient-view"},
             headers={"Authorization": f"Bearer {keys.token(DISCOVERY)}"})  # a discovery token on a service
    assert r.status_code == 401 and "cards" not in r.text


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_token_accepted(keys, alg):
    app, _ = make_app(keys)
    r = call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY, alg=alg)}"})
    assert r.status_code == 200 and r.json()["services"]


def test_aud_may_be_an_array_containing_the_url(keys):
    app, _ = make_app(keys)
    token = keys.token([DISCOVERY, "https://other.test"])  # type: ignore[arg-type]
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_jwks_fetched_from_allow_listed_jku_and_cached(keys):
    served = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(str(request.url))
        return httpx.Response(200, json=keys.jwks)

    store = httpx.MockTransport(handler)
    s = CdsSettings(base_url=BASE, issuers=[{"iss": ISS, "jku": [JKU]}])
    from revspine.cdshooks.app import create_ehr_app

    app = create_ehr_app(s, jwks_transport=store)
    for _ in range(3):
        r = call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY, jku=JKU)}"})
        assert r.status_code == 200
    assert served == [JKU]  # one fetch, then the cache
    # an unknown kid triggers at most one refetch within the minimum interval
    for _ in range(3):
        call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY, kid='x')}"})
    assert len(served) <= 2


def test_jwks_outage_keeps_last_good_keys(keys):
    up = {"ok": True}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=keys.jwks) if up["ok"] else httpx.Response(503)

    s = CdsSettings(base_url=BASE, issuers=[{"iss": ISS, "jku": [JKU]}], jwks_cache_seconds=1,
                    jwks_min_refetch_seconds=0)
    from revspine.cdshooks.app import create_ehr_app

    app = create_ehr_app(s, jwks_transport=httpx.MockTransport(handler))
    ok = call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY)}"})
    assert ok.status_code == 200
    up["ok"] = False
    app.state.cds.verifier.jwks.sets[JKU].fetched -= 10  # expire the cache
    again = call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY)}"})
    assert again.status_code == 200


def test_sandbox_public_key_configures_offline(shared_data, keys):
    jwks = load_jwks(shared_data / "cds-hooks" / "sandbox-data" / "sandbox-jwks.json")
    kid = jwks["keys"][0]["kid"]
    s = CdsSettings(base_url=BASE, issuers=[{"iss": "https://sandbox.cds-hooks.org", "jwks": jwks,
                                             "jku": ["https://sandbox.cds-hooks.org/.well-known/jwks.json"]}])
    from revspine.cdshooks.app import create_ehr_app

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the pinned sandbox key must not be fetched")

    app = create_ehr_app(s, jwks_transport=httpx.MockTransport(no_network))
    # a token claiming to be the sandbox, with its kid and jku, but signed by another key
    forged = keys.token(DISCOVERY, iss="https://sandbox.cds-hooks.org", kid=kid,
                        jku="https://sandbox.cds-hooks.org/.well-known/jwks.json")
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_spec_example_key_pair_round_trip(shared_data):
    """The spec's example private JWK signs; its public JWKS verifies (both from the spec text)."""
    spec = shared_data / "cds-hooks" / "spec-examples"
    private = json.loads((spec / "hl7-spec__34__jwk-private-example.json").read_text())
    public = json.loads((spec / "hl7-spec__33__jwks-public.json").read_text())
    key = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(private))
    s = CdsSettings(base_url=BASE, issuers=[{"iss": ISS, "jwks": public}])
    from revspine.cdshooks.app import create_ehr_app

    app = create_ehr_app(s)
    token = jwt.encode({"iss": ISS, "aud": DISCOVERY, "exp": 9_999_999_999, "iat": 1_700_000_000, "jti": "x"}, key,
                       algorithm="ES384", headers={"kid": private["kid"], "typ": "JWT"})
    # exp far in the future -> lifetime over the limit: rejected; a short-lived one is accepted
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    import time as _t

    now = int(_t.time())
    token = jwt.encode({"iss": ISS, "aud": DISCOVERY, "exp": now + 300, "iat": now, "jti": "y"}, key,
                       algorithm="ES384", headers={"kid": private["kid"], "typ": "JWT"})
    assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_settings_refuse_symmetric_algorithms():
    with pytest.raises(ValueError):
        CdsSettings(algorithms=["HS256"])
    with pytest.raises(ValueError):
        CdsSettings(issuers=[{"iss": ISS, "jku": ["http://insecure.test/jwks.json"]}])


@pytest.mark.parametrize("names", ["current", "older"])
def test_settings_from_env(tmp_path, keys, names):
    """The CDS settings nest in the one settings object (REVSPINE_CDS__*); the older names still work."""
    from revspine.settings import load_settings

    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps([{"iss": ISS, "jwks": keys.jwks}]))
    env = {"REVSPINE_CDS__BASE_URL": BASE, "REVSPINE_CDS__ISSUERS": str(trust),
           "REVSPINE_CDS__CORS_ORIGINS": "https://ehr.test, https://sandbox.test",
           "REVSPINE_CDS__ALLOW_HTTP_FHIR_SERVER": "true", "REVSPINE_CDS__APP_URL": "https://app.test",
           "REVSPINE_CDS__SOURCE_URL": "https://source.test", "REVSPINE_CDS__REQUIRE_AUTH": "false"}
    if names == "older":
        env = {"REVSPINE_CDS_BASE_URL": BASE, "REVSPINE_CDS_TRUST": str(trust),
               "REVSPINE_CDS_CORS_ORIGINS": "https://ehr.test, https://sandbox.test",
               "REVSPINE_CDS_ALLOW_HTTP_FHIR": "true", "REVSPINE_APP_URL": "https://app.test",
               "REVSPINE_CDS_SOURCE_URL": "https://source.test", "REVSPINE_CDS_REQUIRE_AUTH": "false"}
    s = load_settings(environ=env).cds
    assert s.issuer(ISS) is not None and s.cors_origins == ["https://ehr.test", "https://sandbox.test"]
    assert (s.base_url, s.app_url, s.source_url) == (BASE, "https://app.test", "https://source.test")
    assert s.allow_http_fhir_server is True and s.require_auth is False
    assert load_settings(environ={}).cds == CdsSettings()  # nothing set: the defaults, no one trusted
    assert CdsSettings().issuers == [] and CdsSettings().require_auth is True


def _counting_jwks(status: int, body: object = None) -> tuple[list[str], httpx.MockTransport]:
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(str(request.url))
        return httpx.Response(status, json=body if body is not None else {"error": "down"})

    return served, httpx.MockTransport(handler)


@pytest.mark.parametrize("status", [200, 503])
def test_unknown_kids_fetch_the_jwks_once_per_interval_whatever_the_outcome(keys, status):
    """60 unauthenticated tokens with a trusted iss and unknown kids: one fetch, not 60 (also when it fails)."""
    served, transport = _counting_jwks(status, keys.jwks if status == 200 else None)
    s = CdsSettings(base_url=BASE, issuers=[{"iss": ISS, "jku": [JKU]}], jwks_min_refetch_seconds=30)
    from revspine.cdshooks.app import create_ehr_app

    app = create_ehr_app(s, jwks_transport=transport)
    for i in range(60):
        token = keys.token(DISCOVERY, kid=f"unknown-{i}", jku=JKU)
        assert call(app, "GET", "/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert served == [JKU]


def test_one_jwks_fetch_in_flight_per_url(keys):
    import asyncio

    from revspine.cdshooks.auth import JwksCache

    started = []

    async def main() -> list[object]:
        gate = asyncio.Event()

        class Slow(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                started.append(1)
                await gate.wait()
                return httpx.Response(200, json=keys.jwks)

        cache = JwksCache(600, 30, Slow())
        tasks = [asyncio.create_task(cache.key(JKU, keys.kid)) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks))

    found = asyncio.run(main())
    assert started == [1] and all(k is not None for k in found)

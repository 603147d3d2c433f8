"""The FHIR endpoint: POST a Bundle, get a Bundle; errors are OperationOutcomes; access is injectable."""

from __future__ import annotations

import orjson
import pytest
from fastapi import FastAPI, HTTPException, Request
from fhirclient.models.bundle import Bundle as R4Bundle

from revspine.fhir.api import create_fhir_router

from .cds_support import call
from .conftest import TODAY
from .fhir_samples import fbss_bundle


def _app(allow: bool = True) -> FastAPI:
    async def api_token(request: Request) -> None:
        if request.headers.get("authorization") != "Bearer good":
            raise HTTPException(401, "bad API token")

    app = FastAPI()
    app.include_router(create_fhir_router(access=api_token) if allow else create_fhir_router())
    return app


AUTH = {"Authorization": "Bearer good", "Content-Type": "application/fhir+json"}


@pytest.mark.parametrize("kind", ["collection", "transaction"])
def test_post_bundle_get_bundle(kind):
    r = call(_app(), "POST", f"/fhir/$assess?type={kind}&today={TODAY}", content=orjson.dumps(fbss_bundle()),
             headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    out = r.json()
    assert out["type"] == kind
    R4Bundle(out, strict=True)
    types = {e["resource"]["resourceType"] for e in out["entry"]}
    assert {"RiskAssessment", "CarePlan", "ServiceRequest", "Provenance", "Device", "OperationOutcome"} <= types


def test_errors_are_operation_outcomes():
    app = _app()
    bad_json = call(app, "POST", "/fhir/$assess", content=b"{nope", headers=AUTH)
    assert bad_json.status_code == 422 and bad_json.json()["resourceType"] == "OperationOutcome"
    not_bundle = call(app, "POST", "/fhir/$assess", content=b'{"resourceType": "Patient"}', headers=AUTH)
    assert not_bundle.status_code == 422 and "Bundle" in not_bundle.text
    malformed = call(app, "POST", "/fhir/$assess", headers=AUTH,
                     content=b'{"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}')
    assert malformed.status_code == 422 and "resourceType" in malformed.json()["issue"][0]["diagnostics"]
    denied = call(app, "POST", "/fhir/$assess", content=orjson.dumps(fbss_bundle()))
    assert denied.status_code == 401 and denied.json()["issue"][0]["code"] == "login"


def test_placeholder_dependency_denies_unless_configured(monkeypatch):
    monkeypatch.delenv("REVSPINE_FHIR_ALLOW_ANONYMOUS", raising=False)
    assert call(_app(allow=False), "POST", "/fhir/$assess", content=orjson.dumps(fbss_bundle())).status_code == 401
    monkeypatch.setenv("REVSPINE_FHIR_ALLOW_ANONYMOUS", "true")  # the setting, read when the router is built
    assert call(_app(allow=False), "POST", "/fhir/$assess", content=orjson.dumps(fbss_bundle())).status_code == 200

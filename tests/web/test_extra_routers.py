"""Routers from other parts (FHIR, CDS Hooks) mount into the app and reuse its token auth."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from revspine.storage.tables import User
from revspine.web import create_app
from revspine.web.app import route_table
from revspine.web.auth import ApiUser


def test_extra_router_is_mounted_and_protected(env, pack):
    router = APIRouter(prefix="/fhir")

    @router.get("/metadata-for-user")
    def who(user: ApiUser) -> dict[str, str]:
        assert isinstance(user, User)
        return {"user": user.username}

    app = create_app(env.settings, db=env.db, pack=pack, extra_routers=[router])
    assert "/fhir/metadata-for-user" in {p for p, _, _ in route_table(app)}
    with TestClient(app) as c:
        r = c.get("/fhir/metadata-for-user")
        assert r.status_code == 401 and r.json()["ok"] is False
        r = c.get("/fhir/metadata-for-user", headers={"Authorization": f"Bearer {env.token}"})
        assert r.json() == {"user": "alice"}

"""The in-process memory of checked API tokens: bounded in time and size, and forgotten on change."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from revspine.storage import accounts
from revspine.storage.tables import ApiToken, User
from revspine.web.tokencache import TokenCache

from .conftest import csrf_from, login, make_env


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_remembered_for_ttl_seconds_only():
    clock, user = Clock(), User(id=1, username="a", role="clinician", active=True)
    cache = TokenCache(5, clock=clock)
    cache.put("rvs_x", user)
    clock.now += 4.9
    assert cache.get("rvs_x") is user
    clock.now += 0.2
    assert cache.get("rvs_x") is None
    assert cache.get("rvs_unknown") is None


def test_zero_seconds_turns_the_memory_off_and_size_is_bounded():
    off = TokenCache(0)
    off.put("rvs_x", User(id=1))
    assert off.get("rvs_x") is None
    small = TokenCache(60, size=2)
    for i in range(3):
        small.put(f"rvs_{i}", User(id=i))
    assert small.get("rvs_0") is None and small.get("rvs_2") is not None


def test_the_plain_token_is_not_kept():
    cache = TokenCache(60)
    cache.put("rvs_secret-value", User(id=1))
    assert "rvs_secret-value" not in repr(cache._items)


def test_revocation_elsewhere_takes_effect_within_the_ttl(tmp_path, pack):
    """Another process (here: a direct database change) revokes the token; with the memory off it
    stops at once, with it on it stops once the entry expires."""
    for seconds in (0, 5):
        env = make_env(tmp_path / str(seconds), pack, token_cache_seconds=seconds)
        clock = Clock()
        env.app.state.revspine.tokens.clock = clock
        with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as c:
            assert c.get("/api/patients").status_code == 200
            env.db.write(lambda s: s.execute(update(ApiToken).values(revoked_at=accounts.now())))
            assert c.get("/api/patients").status_code == (401 if seconds == 0 else 200)
            clock.now += seconds + 0.1
            assert c.get("/api/patients").status_code == 401
        env.db.dispose()


def test_deactivating_a_user_on_the_web_stops_their_token_at_once(tmp_path, pack):
    env = make_env(tmp_path, pack)
    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as c, \
            TestClient(env.app, follow_redirects=False) as admin:
        assert c.get("/api/patients").status_code == 200
        login(admin, "root")
        alice = [u for u in admin.get("/admin/users.json").json()["users"] if u["username"] == "alice"][0]
        r = admin.post(f"/admin/users/{alice['id']}/active",
                       data={"csrf_token": csrf_from(admin.get("/admin/users").text), "active": "false"})
        assert r.status_code == 303
        assert c.get("/api/patients").status_code == 401
    env.db.dispose()

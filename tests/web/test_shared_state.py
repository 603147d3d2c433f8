"""State that must hold across worker processes and hosts lives in the database.

Two apps on one database stand for two workers (or two hosts behind PostgreSQL): a session,
a login limit, a CDS token id and a card-feedback item mean the same thing to both, and a
restart (a new app) forgets none of them.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from revspine.storage import audit
from revspine.storage.login_limit import LoginLimit
from revspine.web.app import create_app

from ..cds_support import BASE, ClientKeys, call, hook_request, prefetch_for, settings
from ..fhir_samples import PID, fbss_resources
from .conftest import PASSWORD, csrf_from, login, make_env

SERVICE = "revspine-patient-view"
AUD = f"{BASE}/cds-services/{SERVICE}"


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request, tmp_path, pack):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else None
    env = make_env(tmp_path, pack, url)
    keys = ClientKeys()
    one = create_app(env.settings, db=env.db, pack=pack, cds_settings=settings(keys))
    two = create_app(env.settings, db=env.db, pack=pack, cds_settings=settings(keys))
    yield env, one, two, keys
    env.db.dispose()


def _try_login(client: TestClient, username: str, password: str) -> int:
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                       "next": "/patients"}, follow_redirects=False).status_code


def test_padded_user_names_share_one_counter(shared):
    """`alice`, ` alice`, `ALICE  `: one account, one limit (5 failures per window)."""
    _, one, two, _ = shared
    spellings = ["alice", " alice", "ALICE  ", "\talice", "Alice", " aLiCe "]
    with TestClient(one) as a, TestClient(two) as b:
        codes = [_try_login(a if i % 2 else b, name, "wrong password!") for i, name in enumerate(spellings)]
        assert codes == [401] * 5 + [429]
        assert _try_login(a, "alice", PASSWORD) == 429  # even the right password waits now


def test_the_slot_is_reserved_before_the_password_check(shared):
    """Guesses in flight count at once: the 6th concurrent attempt is refused before any password check."""
    env, *_ = shared
    limit = LoginLimit(per_user=5, per_ip=100, window_seconds=900)
    waits = env.db.write(lambda s: [limit.reserve(s, f" Alice{' ' * i}", f"10.0.0.{i}").wait for i in range(6)])
    assert waits[:5] == [0.0] * 5 and waits[5] > 0


def test_login_limit_keys_on_the_user_id_too(shared):
    env, *_ = shared
    limit = LoginLimit(per_user=2, per_ip=100, window_seconds=900)
    first = env.db.write(lambda s: limit.reserve(s, "alice", "10.0.0.1"))
    assert any(k.startswith("user:") for k in first.keys)


def test_logout_ends_the_session_in_every_worker(shared):
    env, one, two, _ = shared
    with TestClient(one, follow_redirects=False) as a:
        login(a, "alice")
        cookie = a.cookies.get("revspine_session")
        with TestClient(two, follow_redirects=False, cookies={"revspine_session": cookie}) as b:
            assert b.get("/patients.json").status_code == 200  # the same session in the other worker
            r = a.post("/logout", data={"csrf_token": csrf_from(a.get("/account").text)})
            assert r.status_code == 303
            assert b.get("/patients.json").status_code == 401  # the captured cookie is dead everywhere
        with TestClient(create_app(env.settings, db=env.db, pack=one.state.revspine.pack),
                        follow_redirects=False, cookies={"revspine_session": cookie}) as restarted:
            assert restarted.get("/patients.json").status_code == 401


def test_account_page_lists_and_revokes_sessions(shared):
    _, one, two, _ = shared
    with TestClient(one, follow_redirects=False) as a, TestClient(two, follow_redirects=False) as b:
        login(a, "alice")
        login(b, "alice")
        sessions = a.get("/account.json").json()["sessions"]
        assert len(sessions) == 2 and sum(x["current"] for x in sessions) == 1
        other = next(x for x in sessions if not x["current"])
        r = a.post(f"/account/sessions/{other['id']}/revoke", data={"csrf_token": csrf_from(a.get("/account").text)})
        assert r.status_code == 303
        assert b.get("/patients.json").status_code == 401 and a.get("/patients.json").status_code == 200
        assert len(a.get("/account.json").json()["sessions"]) == 1


def test_deactivating_a_user_ends_their_sessions(shared):
    env, one, _, _ = shared
    with TestClient(one, follow_redirects=False) as a, TestClient(one, follow_redirects=False) as admin:
        login(a, "alice")
        login(admin, "root")
        with env.db.read() as s:
            from revspine.storage import accounts

            alice = accounts.get_user_by_name(s, "alice")
        admin.post(f"/admin/users/{alice.id}/active",
                   data={"csrf_token": csrf_from(admin.get("/account").text), "active": "false"})
        assert a.get("/patients.json").status_code == 401


def _patient_view(app, token):
    return call(app, "POST", f"/cds-services/{SERVICE}",
                json=hook_request("patient-view", PID, prefetch_for(fbss_resources())),
                headers={"Authorization": f"Bearer {token}"})


def test_a_cds_token_is_refused_when_replayed_to_another_worker_or_after_a_restart(shared):
    env, one, two, keys = shared
    token = keys.token(AUD)
    assert _patient_view(one, token).status_code == 200
    assert _patient_view(two, token).status_code == 401
    restarted = create_app(env.settings, db=env.db, pack=one.state.revspine.pack, cds_settings=settings(keys))
    assert _patient_view(restarted, token).status_code == 401
    assert _patient_view(two, keys.token(AUD)).status_code == 200  # a fresh jti is fine


def test_card_feedback_is_recorded_once_across_workers(shared):
    env, one, two, keys = shared
    card = _patient_view(one, keys.token(AUD)).json()["cards"][0]
    fb = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}]}
    for app in (one, two, one):
        r = call(app, "POST", f"/cds-services/{SERVICE}/feedback", json=fb,
                 headers={"Authorization": f"Bearer {keys.token(AUD + '/feedback')}"})
        assert r.status_code == 200
    with env.db.read() as s:
        rows = [r for r in audit.list_audit(s, object_type="cds_card") if r.action == "feedback"]
    assert len(rows) == 1

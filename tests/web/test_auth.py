"""Authentication, roles, CSRF and the login rate limit.

The unauthenticated sweep enumerates the app's own route table, so a route added later is
covered without editing this file.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from revspine.web.app import route_table
from revspine.web.routes.login import PUBLIC_PATHS

from .conftest import PASSWORD, csrf_from, login, make_env


def _concrete(path: str) -> str:
    path = path.replace("{service_id}", "revspine-patient-view")  # a real CDS service: unknown ids are 404
    return re.sub(r"\{[^}]+\}", "1", path)


def _protected_routes(app):
    out = []
    for path, methods, _ in route_table(app):
        if path in PUBLIC_PATHS or path == "/":
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


def test_public_routes_are_only_login_health_docs_static_and_the_patient_link(env):
    paths = {path for path, _, _ in route_table(env.app)}
    public = {"/login", "/healthz", "/openapi.json", "/docs", "/favicon.ico", "/p/{token}"}
    assert public <= paths
    assert paths & PUBLIC_PATHS == public  # /p/{token}: the token is the credential (tests/web/test_patient_links.py)
    assert len(_protected_routes(env.app)) >= 30


def test_without_credentials_every_patient_route_is_refused(env, anon):
    routes = _protected_routes(env.app)
    for method, path in routes:
        url = _concrete(path) + ("?a=1&b=1" if "compare" in path else "")
        r = anon.request(method, url)
        html_page = not (path.startswith(("/api/", "/cds-services", "/fhir/")) or path.endswith((".json", ".pdf")))
        if path.startswith("/cds-services"):
            # CDS Hooks: a bare 401 that does not say why the token failed (spec best practice)
            assert r.status_code == 401, (method, path, r.status_code)
        elif path.startswith("/fhir/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json()["resourceType"] == "OperationOutcome"
        elif html_page:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login?next="), (method, path)
        else:
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            body = r.json()
            assert body["ok"] is False and body["status"] == 401 and body["errors"]
            assert r.headers["www-authenticate"] == "Bearer"


def test_bad_or_revoked_token_is_refused(env, api):
    with TestClient(env.app, headers={"Authorization": "Bearer rvs_not-a-real-token"}) as c:
        assert c.get("/api/patients").status_code == 401
        assert c.get("/patients.json").status_code == 401
    assert api.get("/api/patients").status_code == 200


def test_api_refuses_a_session_cookie(browser):
    assert browser.get("/patients.json").status_code == 200
    assert browser.get("/api/patients").status_code == 401


def test_revoked_token_stops_working(env, browser):
    page = browser.post("/account/tokens", data={"csrf_token": csrf_from(browser.get("/account").text),
                                                 "name": "integration"})
    token = re.search(r'id="new-token">([^<]+)<', page.text).group(1)
    with TestClient(env.app, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/patients").status_code == 200
        tid = [t for t in browser.get("/account.json").json()["tokens"] if t["name"] == "integration"][0]["id"]
        r = browser.post(f"/account/tokens/{tid}/revoke", data={"csrf_token": csrf_from(browser.get("/account").text)})
        assert r.status_code == 303
        assert c.get("/api/patients").status_code == 401


@pytest.mark.parametrize("path", ["/patients", "/logout", "/account/tokens", "/admin/users"])
def test_form_post_without_csrf_token_is_rejected(env, path):
    with TestClient(env.app, follow_redirects=False) as c:
        login(c, "root")
        r = c.post(path, data={"display_name": "X", "name": "x", "username": "bob", "password": PASSWORD})
        assert r.status_code == 403
        r = c.post(path, data={"csrf_token": "forged", "display_name": "X", "name": "x"})
        assert r.status_code == 403
        assert "csrf_token" in r.text
        assert c.get("/patients.json").json()["total"] == 0


def test_login_needs_csrf_and_a_right_password(anon):
    r = anon.post("/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 403
    token = csrf_from(anon.get("/login").text)
    r = anon.post("/login", data={"csrf_token": token, "username": "alice", "password": "wrong password"})
    assert r.status_code == 401 and "wrong password" in r.text
    assert anon.get("/patients").status_code == 303


def test_login_rate_limit_per_username_then_per_address(env, anon):
    token = csrf_from(anon.get("/login").text)
    limit = env.settings.login_max_attempts
    for _ in range(limit):
        r = anon.post("/login", data={"csrf_token": token, "username": "alice", "password": "nope"})
        assert r.status_code == 401
    # Even the right password is refused while the limit holds.
    r = anon.post("/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD})
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    # Other usernames from the same address hit the per-address limit.
    for i in range(env.settings.login_max_attempts_per_ip - limit):
        anon.post("/login", data={"csrf_token": token, "username": f"user{i % 4}", "password": "nope"})
    assert anon.post("/login", data={"csrf_token": token, "username": "root", "password": PASSWORD}).status_code == 429


def test_session_cookie_is_httponly_and_lax_and_secure_off_localhost(tmp_path, pack):
    local = make_env(tmp_path / "a", pack)
    remote = make_env(tmp_path / "b", pack, host="0.0.0.0")
    for env_, base, secure in ((local, "http://testserver", False), (local, "https://testserver", True),
                               (remote, "http://testserver", True)):
        with TestClient(env_.app, base_url=base, follow_redirects=False) as c:
            cookie = c.get("/login").headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            assert ("secure" in cookie) is secure, (base, env_.settings.host)


def test_cookie_secure_auto_behind_a_trusted_tls_proxy_on_localhost(tmp_path, pack):
    """A TLS-terminating proxy on 127.0.0.1 forwards plain http with X-Forwarded-Proto: https."""
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    trusted = make_env(tmp_path / "a", pack, forwarded_allow_ips="testclient")  # TestClient's peer address
    untrusted = make_env(tmp_path / "b", pack)
    for env_, secure in ((trusted, True), (untrusted, False)):
        with TestClient(env_.app, follow_redirects=False) as c:
            cookie = c.get("/login", headers=proxied).headers["set-cookie"].lower()
            assert ("secure" in cookie) is secure


def test_logout_ends_the_session(browser):
    assert browser.get("/patients").status_code == 200
    r = browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/patients").text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert browser.get("/patients").status_code == 303


def test_admin_pages_need_the_admin_role(env, browser):
    assert browser.get("/admin/users").status_code == 403
    assert browser.get("/admin/audit.json").status_code == 403
    with TestClient(env.app, follow_redirects=False) as c:
        login(c, "root")
        assert c.get("/admin/users.json").status_code == 200
        r = c.post("/admin/users", data={"csrf_token": csrf_from(c.get("/admin/users").text), "username": "bob",
                                         "password": PASSWORD, "role": "clinician"})
        assert r.status_code == 303
        assert "bob" in [u["username"] for u in c.get("/admin/users.json").json()["users"]]
        bob = [u for u in c.get("/admin/users.json").json()["users"] if u["username"] == "bob"][0]
        c.post(f"/admin/users/{bob['id']}/active", data={"csrf_token": csrf_from(c.get("/admin/users").text),
                                                          "active": "false"})
    with TestClient(env.app, follow_redirects=False) as c:
        token = csrf_from(c.get("/login").text)
        r = c.post("/login", data={"csrf_token": token, "username": "bob", "password": PASSWORD})
        assert r.status_code == 401


def test_pages_carry_security_headers_and_are_not_cached(browser):
    page = browser.get("/patients")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text, "inline scripts would be blocked by the CSP"
    assert browser.get("/static/app.css").headers.get("cache-control") != "no-store"

"""The patient link: made by a clinician on the patient's page, opened by the patient at home without a login.

Acceptance (issue 12): the link is random and stored only as a digest; it expires (default 30 days, a
setting) and can be revoked from the patient page; expired, revoked and guessed links get the same 404;
every use is in the audit log; it shows that patient's handout and question box and nothing else.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from revspine.storage import audit
from revspine.storage.accounts import token_digest
from revspine.storage.tables import PatientLink
from revspine.web.logs import JsonFormatter

from .conftest import csrf_from, make_env, new_patient

LINK = re.compile(r'value="(https?://[^"]+/p/([A-Za-z0-9_-]+))"')


def _assessed(api, examples, name: str, mrn: str, index: int = 0) -> tuple[int, int]:
    pid = new_patient(api, name, mrn)
    r = api.post(f"/api/patients/{pid}/assess", json=json.loads(examples[index].read_text()))
    assert r.status_code == 200, r.text
    return pid, int(r.headers["X-Revspine-Assessment-Id"])


def _make_link(browser, pid: int, aid: int) -> tuple[str, str]:
    page = browser.get(f"/patients/{pid}")
    assert f'action="/patients/{pid}/links"' in page.text, "the patient page offers the link"
    r = browser.post(f"/patients/{pid}/links", data={"csrf_token": csrf_from(page.text), "assessment_id": str(aid)})
    assert r.status_code == 201, r.text
    url, token = LINK.search(r.text).groups()  # type: ignore[union-attr]
    return url, token


def _revoke(browser, pid: int, link_id: int):
    page = browser.get(f"/patients/{pid}")
    return browser.post(f"/patients/{pid}/links/{link_id}/revoke", data={"csrf_token": csrf_from(page.text)})


@pytest.fixture
def linked(env, api, browser, examples):
    pid, aid = _assessed(api, examples, "Linda Linked", "MRN-LINK-1")
    url, token = _make_link(browser, pid, aid)
    return pid, aid, url, token


def test_the_token_is_random_long_and_stored_only_as_its_digest(env, api, browser, examples, linked):
    pid, aid, url, token = linked
    assert url.endswith("/p/" + token) and len(token) >= 43  # 256 random bits (secrets.token_urlsafe(32))
    _, second = _make_link(browser, pid, aid)
    assert second != token
    with env.db.read() as s:
        rows = list(s.scalars(select(PatientLink)))
    assert {r.token_hash for r in rows} == {token_digest(token), token_digest(second)}
    db_file = Path(env.settings.resolved_database_url().removeprefix("sqlite:///"))
    stored = [p.read_bytes() for p in db_file.parent.glob(db_file.name + "*")]  # with the -wal file
    assert stored and not any(token.encode() in b for b in stored), "the plain token is in no table"


def test_the_patient_opens_handout_and_question_box_without_a_login(env, api, browser, examples, linked):
    pid, aid, url, token = linked
    with TestClient(env.app, follow_redirects=False) as patient:
        r = patient.get(f"/p/{token}")
        assert r.status_code == 200
        handout = browser.get(f"/assessments/{aid}/handout").text
        title = re.search(r"<h1>([^<]+)</h1>", handout).group(1)  # type: ignore[union-attr]
        assert f"<h1>{title}</h1>" in r.text
        assert f'action="/p/{token}"' in r.text, "the question box posts back to the link"
        asked = patient.get(f"/p/{token}", params={"q": "when can I drive"})
        assert asked.status_code == 200 and "You asked" in asked.text
        assert 'class="rs-answer is-best"' in asked.text
        shown = re.sub(r"<style>.*?</style>", "", asked.text, flags=re.S).lower()
        assert "score" not in shown and "bm25" not in shown, "no match scores on the patient side"
        assert r.headers["cache-control"] == "no-store" and "noindex" in r.headers["x-robots-tag"]
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in r.headers
        # the link opens nothing else: the clinician's pages still want a login
        assert patient.get(f"/assessments/{aid}/handout").status_code == 303
        assert patient.get(f"/patients/{pid}.json").status_code == 401


def test_the_link_shows_only_that_patients_handout_and_no_identifier(env, api, browser, examples):
    pid_a, aid_a = _assessed(api, examples, "Alma Alpha", "MRN-A-77", 0)
    pid_b, aid_b = _assessed(api, examples, "Bert Beta", "MRN-B-88", 3)
    _, token_a = _make_link(browser, pid_a, aid_a)
    with TestClient(env.app) as patient:
        html = patient.get(f"/p/{token_a}").text + patient.get(f"/p/{token_a}", params={"q": "will I need "
                                                                                             "another operation"}).text
    for other in ("Bert Beta", "MRN-B-88", f"/assessments/{aid_b}", f"/patients/{pid_b}"):
        assert other not in html
    # nor this patient's identifiers, nor any way into the clinician's side
    for own in ("Alma Alpha", "MRN-A-77", "/patients", "/assessments/", "csrf_token", "rule_id"):
        assert own not in html
    a_sections = re.findall(r'<section id="([^"]+)"', browser.get(f"/assessments/{aid_a}/handout").text)
    assert re.findall(r'<section id="([^"]+)"', html.split("</html>")[0]) == ["ask", *a_sections]


def test_expired_revoked_and_guessed_links_get_the_same_404(env, api, browser, examples):
    pid, aid = _assessed(api, examples, "Gone Person", "MRN-GONE")
    _, expiring = _make_link(browser, pid, aid)
    _, revoked = _make_link(browser, pid, aid)
    _, live = _make_link(browser, pid, aid)
    def expire(s):
        link = s.scalars(select(PatientLink).where(PatientLink.token_hash == token_digest(expiring))).one()
        s.execute(update(PatientLink).where(PatientLink.id == link.id)
                  .values(expires_at=link.created_at - timedelta(seconds=1)))
        return s.scalars(select(PatientLink.id).where(PatientLink.token_hash == token_digest(revoked))).one()
    revoked_id = env.db.write(expire)
    assert _revoke(browser, pid, revoked_id).status_code == 303
    guessed = secrets.token_urlsafe(32)
    with TestClient(env.app) as patient:
        assert patient.get(f"/p/{live}").status_code == 200
        answers = [patient.get(f"/p/{t}") for t in (expiring, revoked, guessed, "short", live[:-1] + "~")]
        answers.append(patient.get(f"/p/{revoked}", params={"q": "when can I drive"}))
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert len({r.text for r in answers}) == 1, "nothing tells an expired, revoked or guessed link apart"
    assert "Please ask your care team for a new link" in answers[0].text


def test_links_expire_after_the_setting_default_30_days(tmp_path, pack, examples):
    for days in (None, 7):
        env = make_env(tmp_path / f"d{days}", pack, **({"patient_link_days": days} if days else {}))
        with (TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as api,
              TestClient(env.app, follow_redirects=False) as browser):
            from .conftest import login
            login(browser, "alice")
            pid, aid = _assessed(api, examples, "Days Person", "MRN-DAYS")
            _, token = _make_link(browser, pid, aid)
            assert f"works for {days or 30} days" in browser.get(f"/patients/{pid}").text
        with env.db.read() as s:
            link = s.scalars(select(PatientLink)).one()
        assert link.expires_at - link.created_at == timedelta(days=days or 30)
        env.db.dispose()


def test_every_use_is_in_the_audit_log_and_never_in_the_service_log(env, api, browser, examples, linked, caplog):
    pid, aid, _, token = linked
    caplog.set_level(logging.DEBUG)
    with TestClient(env.app) as patient:
        patient.get(f"/p/{token}")
        patient.get(f"/p/{token}", params={"q": "can I smoke"})
        patient.get(f"/p/{token}")
    with env.db.read() as s:
        link_id = s.scalars(select(PatientLink.id)).one()
        rows = audit.list_audit(s, object_type="patient_link", object_id=link_id)
    views = [r for r in rows if r.action == "view"]
    assert len(views) == 3 and all(r.user_id is None and r.client for r in views)
    assert sorted(r.detail["format"] for r in views) == ["ask", "handout", "handout"]
    assert all(r.detail["patient_id"] == pid and r.detail["assessment_id"] == aid for r in views)
    created = [r for r in rows if r.action == "create"]
    assert len(created) == 1 and created[0].user_id is not None
    ours = "\n".join(JsonFormatter().format(r) for r in caplog.records if r.name.startswith("revspine"))
    assert '"route": "/p/{token}"' in ours
    assert token not in ours and "smoke" not in ours
    # the patient page counts the openings
    assert browser.get(f"/patients/{pid}.json").json()["links"][0]["uses"] == 3
    # a refused opening of a known link is recorded too, with its reason
    assert _revoke(browser, pid, link_id).status_code == 303
    with TestClient(env.app) as patient:
        assert patient.get(f"/p/{token}").status_code == 404
    with env.db.read() as s:
        rows = audit.list_audit(s, object_type="patient_link", object_id=link_id)
    assert [r.detail.get("reason") for r in rows if r.action == "refused"] == ["revoked"]
    assert [r.user_id for r in rows if r.action == "revoke"] != [None]


def test_revoking_is_on_the_patient_page_needs_the_form_token_and_stays_within_the_patient(
        env, api, browser, examples, linked):
    pid, aid, _, token = linked
    other, other_aid = _assessed(api, examples, "Other Person", "MRN-OTHER")
    page = browser.get(f"/patients/{pid}")
    link_id = browser.get(f"/patients/{pid}.json").json()["links"][0]["id"]
    assert f'action="/patients/{pid}/links/{link_id}/revoke"' in page.text
    assert browser.post(f"/patients/{pid}/links/{link_id}/revoke").status_code == 403  # no CSRF token
    assert _revoke(browser, other, link_id).status_code == 404  # another patient's link
    # a link to another patient's assessment cannot be made
    r = browser.post(f"/patients/{pid}/links", data={"csrf_token": csrf_from(page.text),
                                                     "assessment_id": str(other_aid)})
    assert r.status_code == 404
    with TestClient(env.app) as patient:
        assert patient.get(f"/p/{token}").status_code == 200
    assert _revoke(browser, pid, link_id).status_code == 303
    state = browser.get(f"/patients/{pid}.json").json()["links"][0]
    assert state["state"] == "revoked" and state["revoked_at"]
    assert f'links/{link_id}/revoke"' not in browser.get(f"/patients/{pid}").text
    with TestClient(env.app) as patient:
        assert patient.get(f"/p/{token}").status_code == 404


def test_making_a_link_needs_a_login(env, anon, linked):
    pid, aid, _, _ = linked
    r = anon.post(f"/patients/{pid}/links", data={"assessment_id": str(aid)})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")

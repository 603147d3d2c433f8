"""The screening worklist page: signed-in only, audited, filtered and sorted, a JSON twin, and each assessed row opens
as a revspine patient whose assessment says what the worklist said."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from revspine.knowledge import KnowledgePack
from revspine.screen.run import ScreenConfig, ScreenResult, run_screen
from revspine.screen.synth import synthesize
from revspine.storage.tables import AuditRow

from .conftest import Env, csrf_from, login, make_env

TOP = 6


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScreenResult]:
    root = tmp_path_factory.mktemp("worklist")
    synthesize(root / "cdm", 3000, seed=5, fmt="parquet")
    out = root / "out"
    return out, run_screen(ScreenConfig(source=str(root / "cdm"), out=out, top_n=TOP))


@pytest.fixture
def wenv(tmp_path: Path, pack: KnowledgePack, screened: tuple[Path, ScreenResult]) -> Iterator[Env]:
    e = make_env(tmp_path, pack, screen_dir=str(screened[0]))
    yield e
    e.db.dispose()


@pytest.fixture
def clinician(wenv: Env) -> Iterator[TestClient]:
    with TestClient(wenv.app, follow_redirects=False) as c:
        login(c, "alice")
        yield c


def _audit(env: Env) -> list[tuple[str, str, int | None, dict]]:
    with env.db.read() as s:
        return [(r.action, r.object_type, r.object_id, r.detail)
                for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]


def test_no_anonymous_access(wenv: Env) -> None:
    with TestClient(wenv.app, follow_redirects=False) as anon:
        r = anon.get("/worklist")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert anon.get("/worklist.json").status_code == 401
        r = anon.post("/worklist/1/assess")
        assert r.status_code in (303, 401, 403)
        assert "OMOP person" not in r.text
    assert not any(a == "view" and t == "worklist" for a, t, _, _ in _audit(wenv))


def test_worklist_shows_the_screen_and_is_audited(wenv: Env, clinician: TestClient,
                                                  screened: tuple[Path, ScreenResult]) -> None:
    result = screened[1]
    page = clinician.get("/worklist")
    assert page.status_code == 200
    top = result.worklist[0]
    assert f"/worklist/{top['person_id']}/assess" in page.text
    data = clinician.get("/worklist.json").json()
    assert data["persons"] == len(result.worklist) and data["as_of"] == result.manifest["as_of"]
    ranks = [r["rank"] for r in data["rows"]]
    assert ranks == sorted(ranks)
    assert [r["person_id"] for r in data["rows"]] == [w["person_id"] for w in result.worklist][:len(ranks)]
    assert all(r["can_assess"] == (r["rank"] <= TOP) for r in data["rows"])
    assert all(r["engine_decision"] for r in data["rows"] if r["rank"] <= TOP)
    assert ("view", "worklist", None, {"rows": len(data["rows"])}) in _audit(wenv)


def test_filters_and_sorting(clinician: TestClient, screened: tuple[Path, ScreenResult]) -> None:
    result = screened[1]
    lane = clinician.get("/worklist.json", params={"flags": "yes"}).json()
    assert lane["total"] == sum(1 for w in result.worklist if w["fast_lane"]) > 0
    assert all(r["fast_lane"] for r in lane["rows"])
    late = clinician.get("/worklist.json", params={"min_days": 365, "sort": "days"}).json()
    days = [r["days_since_surgery"] for r in late["rows"]]
    assert days == sorted(days) and all(d >= 365 for d in days)
    assert late["total"] == sum(1 for w in result.worklist if w["days_since_surgery"] >= 365)
    decided = result.worklist[0]["engine_decision"]
    by = clinician.get("/worklist.json", params={"decision": decided}).json()
    assert by["total"] >= 1 and all(r["engine_decision"] == decided for r in by["rows"])
    assert clinician.get("/worklist.json", params={"min_days": -1}).status_code == 422


def test_assess_opens_the_person_as_a_patient(wenv: Env, clinician: TestClient,
                                              screened: tuple[Path, ScreenResult]) -> None:
    top = screened[1].worklist[0]
    pid = top["person_id"]
    token = csrf_from(clinician.get("/worklist").text)
    assert clinician.post(f"/worklist/{pid}/assess").status_code in (400, 403)  # no CSRF token
    r = clinician.post(f"/worklist/{pid}/assess", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/assessments/")
    aid = int(r.headers["location"].rsplit("/", 1)[1])
    shown = clinician.get(f"/assessments/{aid}.json").json()
    assert shown["assessment"]["decision"]["category"] == top["engine_decision"]  # the worklist's answer
    lead = shown["assessment"]["differential"][0]["cause"] if shown["assessment"]["differential"] else None
    assert lead == top["engine_lead"]
    rows = _audit(wenv)
    assert any(a == "create" and t == "patient" and d == {"source": "screen"} for a, t, _, d in rows)
    assert any(a == "create" and t == "assessment" and i == aid for a, t, i, _ in rows)
    again = clinician.post(f"/worklist/{pid}/assess", data={"csrf_token": token})
    assert again.status_code == 303
    listed = clinician.get("/worklist.json").json()["rows"][0]
    assert listed["person_id"] == pid and listed["assessment_id"] == int(again.headers["location"].rsplit("/", 1)[1])
    patients = clinician.get("/patients.json", params={"q": f"OMOP-{pid}"}).json()
    assert patients["total"] == 1  # one patient per person, however often it is opened


def test_person_without_a_case_is_not_found(clinician: TestClient, screened: tuple[Path, ScreenResult]) -> None:
    token = csrf_from(clinician.get("/worklist").text)
    beyond = screened[1].worklist[TOP]["person_id"]
    assert clinician.post(f"/worklist/{beyond}/assess", data={"csrf_token": token}).status_code == 404


def test_without_a_screen_folder_the_page_says_how(tmp_path: Path, pack: KnowledgePack) -> None:
    e = make_env(tmp_path, pack)
    try:
        with TestClient(e.app, follow_redirects=False) as c:
            login(c, "alice")
            page = c.get("/worklist")
            assert page.status_code == 200 and "REVSPINE_SCREEN_DIR" in page.text
            assert c.get("/worklist.json").json()["configured"] is False
    finally:
        e.db.dispose()

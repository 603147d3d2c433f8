"""A database written by the release of 2026-12-06 (engine 0.1.0, pack 1.2.0) opens with today's code.

tests/data/release_0_1_0/make_db.py wrote it through that release's web app. Every case version
and assessment must stay readable, and each old assessment must render as it was made: with its
own decision, red flags, leading cause and versions, not re-worked with today's engine.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from revspine.case.model import Case
from revspine.case.validate import parse_case
from revspine.knowledge import KnowledgePack
from revspine.pipeline import Assessment
from revspine.settings import load_settings
from revspine.storage import Database, migrate
from revspine.storage.tables import AssessmentRow, CaseVersionRow
from revspine.web import create_app

from .conftest import csrf_from

FIXTURE = Path(__file__).parents[1] / "data" / "release_0_1_0"
EXPECTED: dict[str, dict[str, object]] = json.loads((FIXTURE / "expected.json").read_text())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def old_db(tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    path = tmp_path / "revspine.sqlite3"
    shutil.copy(FIXTURE / "revspine.sqlite3", path)
    db = Database(f"sqlite:///{path}")
    migrate(db)  # today's migrations run over the old schema
    yield db, path
    db.dispose()


def test_every_case_version_is_still_a_valid_case(old_db: tuple[Database, Path], pack: KnowledgePack) -> None:
    db, _ = old_db
    with db.read() as s:
        versions = list(s.scalars(select(CaseVersionRow)))
    assert len(versions) == 7
    for row in versions:
        assert row.data.get("schema_version", "1") == "1"
        case = parse_case(row.data, pack)
        assert case.schema_version == "1"


def test_every_assessment_reads_back_with_its_own_versions(old_db: tuple[Database, Path]) -> None:
    db, _ = old_db
    with db.read() as s:
        rows = list(s.scalars(select(AssessmentRow).order_by(AssessmentRow.id)))
    assert [str(r.id) for r in rows] == sorted(EXPECTED, key=int)
    for row in rows:
        want = EXPECTED[str(row.id)]
        result = Assessment.model_validate(row.result)
        Case.model_validate(row.input_case)
        assert result.versions.model_dump() == want["versions"]
        assert (row.engine_version, row.knowledge_version) == ("0.1.0", "1.2.0")
        assert result.decision.category == want["decision"]
        assert [f.label for f in result.red_flags] == want["red_flags"]
        assert result.differential[0].label == want["leading"]


def test_old_assessments_render_as_they_were_made(old_db: tuple[Database, Path], tmp_path: Path,
                                                  pack: KnowledgePack) -> None:
    db, path = old_db
    settings = load_settings({"database_url": f"sqlite:///{path}", "data_dir": str(tmp_path),
                              "secret_key": "test-secret-key"}, environ={})
    app = create_app(settings, db=db, pack=pack)
    with TestClient(app, follow_redirects=False) as browser:
        token = csrf_from(browser.get("/login").text)
        r = browser.post("/login", data={"csrf_token": token, "username": "fixture",
                                         "password": "fixture password 1", "next": "/patients"})
        assert r.status_code == 303, r.text
        for aid, want in EXPECTED.items():
            page = browser.get(f"/assessments/{aid}")
            assert page.status_code == 200, page.text
            shown = _text(page.text)
            for item in want["page_has"]:  # type: ignore[attr-defined]
                assert item in shown, (aid, item)
            twin = browser.get(f"/assessments/{aid}.json")
            assert twin.status_code == 200, twin.text

"""Write ``revspine.sqlite3`` here with the release of 2026-12-06 (engine 0.1.0, pack 1.2.0, commit 9b73c51).

Run once, at that commit, from a checkout of it: ``python tests/data/release_0_1_0/make_db.py``.
It goes through the real web app (the REST API and the assessment page), so the rows are what
that release stored. ``expected.json`` records, per stored assessment, what its page showed
then; tests/web/test_old_database.py opens the database with today's code and checks that
every case version and assessment is still readable and still renders as it was made.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from revspine.knowledge import load_pack
from revspine.settings import load_settings
from revspine.storage import Database, accounts, migrate
from revspine.web import create_app

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[2] / "src" / "revspine" / "examples"
CASES = ["15_epidural_hematoma", "07_infection_early_deep_ssi", "23_normal_early_postop", "20_cauda_equina",
         "22_cervical_acdf_adjacent_segment"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def main() -> None:
    target = HERE / "revspine.sqlite3"
    if target.exists():
        sys.exit(f"{target} exists; delete it first")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"database_url": f"sqlite:///{target}", "data_dir": tmp,
                                  "secret_key": "fixture-secret"}, environ={})
        db = Database(settings.resolved_database_url())
        migrate(db)
        def fixture_user(s: Any) -> str:
            user = accounts.create_user(s, "fixture", "fixture password 1", "clinician")
            return accounts.create_token(s, user.id, "fixture")[1]
        token = db.write(fixture_user)
        app = create_app(settings, db=db, pack=load_pack())
        expected: dict[str, dict[str, object]] = {}
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api, TestClient(app) as browser:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
            assert csrf is not None
            browser.post("/login", data={"csrf_token": csrf.group(1), "username": "fixture",
                                         "password": "fixture password 1", "next": "/patients"})
            for n, name in enumerate(CASES, 1):
                case = json.loads((EXAMPLES / f"{name}.json").read_text())
                r = api.post("/api/patients", json={"display_name": f"Fixture Patient {n}", "mrn": f"FX{n:03d}"})
                pid = r.json()["id"]
                r = api.post(f"/api/patients/{pid}/assess", json=case, params={"title": name})
                assert r.status_code == 200, r.text
                ids = [r.headers["X-Revspine-Assessment-Id"]]
                if n <= 2:  # a second version of the first two cases, assessed again
                    case_id = api.get(f"/api/patients/{pid}/cases").json()[0]["id"]
                    case["notes"] = "second version"
                    r = api.post(f"/api/patients/{pid}/assess", json=case, params={"case_id": case_id})
                    assert r.status_code == 200, r.text
                    ids.append(r.headers["X-Revspine-Assessment-Id"])
                for aid in ids:
                    stored = api.get(f"/api/assessments/{aid}").json()
                    result = stored["assessment"]
                    page = browser.get(f"/assessments/{aid}")
                    assert page.status_code == 200, page.text
                    shown = _text(page.text)
                    page_has = [result["decision"]["summary"], result["differential"][0]["label"],
                                *(f["label"] for f in result["red_flags"]),
                                f"engine {result['versions']['engine']}",
                                f"knowledge {result['versions']['knowledge_id']} {result['versions']['knowledge']}"]
                    for item in page_has:
                        assert _text(item) in shown, item
                    expected[aid] = {
                        "example": name,
                        "decision": result["decision"]["category"],
                        "versions": result["versions"],
                        "red_flags": [f["label"] for f in result["red_flags"]],
                        "leading": result["differential"][0]["label"],
                        "page_has": [_text(x).strip() for x in page_has],
                    }
        db.dispose()
    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    sqlite3.connect(target).execute("VACUUM")
    for extra in HERE.glob("revspine.sqlite3?*"):
        extra.unlink()
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

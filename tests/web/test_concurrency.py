"""8 concurrent writers create 1,000 assessments: none lost, counts and contents checked."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from revspine.storage.tables import AssessmentRow, AuditRow, CaseVersionRow

from .conftest import make_env

WRITERS = 8
TOTAL = 1000

pytestmark = pytest.mark.slow


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)])
def env_any(request, tmp_path, pack):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else None
    e = make_env(tmp_path, pack, url)
    yield e
    e.db.dispose()


def test_concurrent_writers_lose_nothing(env_any, examples):
    env = env_any
    base = json.loads(examples[0].read_text())
    headers = {"Authorization": f"Bearer {env.token}"}
    with TestClient(env.app, headers=headers) as c:
        patients = [c.post("/api/patients", json={"display_name": f"Writer {w}"}).json()["id"] for w in range(WRITERS)]
        case_ids: dict[int, int] = {}
        for w, pid in enumerate(patients):
            r = c.post(f"/api/patients/{pid}/cases", json=base)
            case_ids[w] = r.json()["version"]["case_id"]

    def writer(w: int) -> list[tuple[int, int, str]]:
        out = []
        with TestClient(env.app, headers=headers) as client:
            for i in range(TOTAL // WRITERS):
                case = dict(base, case_id=f"w{w}-{i}")
                r = client.post(f"/api/patients/{patients[w]}/assess", json=case,
                                params={"case_id": case_ids[w]})
                assert r.status_code == 200, r.text
                out.append((int(r.headers["X-Revspine-Assessment-Id"]), patients[w], f"w{w}-{i}"))
        return out

    with ThreadPoolExecutor(WRITERS) as pool:
        made = [x for chunk in pool.map(writer, range(WRITERS)) for x in chunk]

    assert len(made) == TOTAL and len({a for a, _, _ in made}) == TOTAL
    with env.db.read() as s:
        assert s.scalar(select(func.count()).select_from(AssessmentRow)) == TOTAL
        rows = {r.id: r for r in s.scalars(select(AssessmentRow))}
        versions = {v.id: v for v in s.scalars(select(CaseVersionRow))}
        audits = s.scalar(select(func.count()).select_from(AuditRow)
                          .where(AuditRow.action == "create", AuditRow.object_type == "assessment"))
    assert audits == TOTAL
    for aid, pid, ref in made:
        row = rows[aid]
        assert row.patient_id == pid
        assert row.result["case_id"] == ref and row.input_case["case_id"] == ref
        assert versions[row.case_version_id].data["case_id"] == ref
    # Each case's versions are numbered 1..n with no gap or duplicate, whatever the interleaving.
    for w in range(WRITERS):
        numbers = sorted(v.version for v in versions.values() if v.case_id == case_ids[w])
        assert numbers == list(range(1, TOTAL // WRITERS + 2))

"""Smaller findings of the attack review, each on SQLite and PostgreSQL where storage is involved."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from revspine.errors import InputError
from revspine.storage import Database, accounts, migrate, records

from ..fhir_samples import PID, fbss_resources
from .conftest import make_env, new_patient


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(request, tmp_path, pack):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else None
    env = make_env(tmp_path, pack, url)
    with TestClient(env.app, follow_redirects=False, headers={"Authorization": f"Bearer {env.token}"}) as c:
        yield env, c
    env.db.dispose()


@pytest.mark.parametrize("field", ["display_name", "mrn"])
def test_a_nul_byte_in_a_patient_field_is_a_422_naming_the_field(both, field):
    _, api = both
    body = {"display_name": "Jane Doe", "mrn": "M-1", field: "Jane\x00Doe"}
    r = api.post("/api/patients", json=body)
    assert r.status_code == 422, r.text
    assert [e["path"] for e in r.json()["errors"]] == [field]
    pid = new_patient(api, "Jane Doe")
    r = api.patch(f"/api/patients/{pid}", json={field: "x\x00"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == field


@pytest.mark.parametrize("value", [0, 19700101, 1.5, True, "0", "1970", "07/01/1970"])
def test_a_birth_date_must_be_a_yyyy_mm_dd_string(both, value):
    _, api = both
    r = api.post("/api/patients", json={"display_name": "Jane Doe", "birth_date": value})
    assert r.status_code == 422, (value, r.text)
    assert r.json()["errors"][0]["path"] == "birth_date"
    assert api.post("/api/patients", json={"display_name": "Jane Doe", "birth_date": "1970-01-01"}).status_code == 201


def test_stored_timestamps_carry_their_time_zone(both):
    _, api = both
    pid = new_patient(api)
    patient = api.get(f"/api/patients/{pid}").json()
    stamps = [v for k, v in patient.items() if k.endswith("_at")]
    assert stamps and all(s.endswith(("Z", "+00:00")) for s in stamps), patient


@pytest.mark.postgres
def test_a_duplicate_mrn_race_never_reaches_the_unique_index(postgres_db_url):
    """Concurrent saves of one MRN: one wins, the others get a 422-style problem, and the database
    raised no unique violation (whose message, with the MRN, PostgreSQL writes to its server log)."""
    db = Database(postgres_db_url)
    migrate(db)
    uid = db.write(lambda s: accounts.create_user(s, "doc", "long enough password").id)
    driver_errors: list[str] = []
    event.listen(db.engine, "handle_error", lambda ctx: driver_errors.append(type(ctx.original_exception).__name__))
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def save(i: int) -> None:
        start.wait()
        try:
            db.write(lambda s: records.create_patient(s, uid, f"Racer {i}", mrn="MRN-SENTINEL-4711"))
            outcomes.append("saved")
        except InputError as exc:
            outcomes.append(exc.problems[0].path)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["mrn"] * 7 + ["saved"]
    assert driver_errors == []
    db.dispose()


def test_fhir_assess_for_a_patient_not_in_the_bundle_is_a_404(tmp_path, pack):
    env = make_env(tmp_path, pack)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in fbss_resources()]}
    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as c:
        r = c.post("/fhir/$assess?patient=nope", json=bundle)
        assert r.status_code == 404
        outcome = r.json()
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"
        assert c.post(f"/fhir/$assess?patient={PID}", json=bundle).status_code == 200
    env.db.dispose()

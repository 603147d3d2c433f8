"""Cases assessed in the assessment worker processes (revspine/assesspool.py) give the same answer, the
same errors and the same stored assessment as in the serving process; workers die with their parent."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from revspine.assesspool import AssessBusy, AssessPool
from revspine.cdshooks.app import create_ehr_app
from revspine.cdshooks.prefetch import PatientData
from revspine.cdshooks.service import Answer, Call, answer_request, parse_request
from revspine.errors import InputError
from revspine.knowledge import KnowledgePack
from revspine.storage.tables import AssessmentRow
from revspine.web import create_app
from revspine.workflow import work_out

from ..cds_support import BASE, ClientKeys, card_problems, hook_request, prefetch_for
from ..cds_support import call as cds_call
from ..cds_support import settings as cds_settings
from ..fhir_samples import PID, fbss_resources
from .conftest import make_env
from .live import free_port


def test_a_worker_process_answers_what_this_process_answers(examples: list[Path], pack: KnowledgePack) -> None:
    cases = [json.loads(p.read_text()) for p in examples[:4]]
    bad = {**cases[0], "symptoms": {**cases[0]["symptoms"], "symptoms": ["not_a_symptom"]}}  # the pack refuses it

    async def main() -> tuple[list[object], BaseException | None]:
        pool = AssessPool(1, [], None)
        try:
            answers = list(await asyncio.gather(*(pool.work_out(orjson.dumps(c)) for c in cases)))
            try:
                await pool.work_out(orjson.dumps(bad))
            except InputError as exc:
                return answers, exc
            return answers, None
        finally:
            pool.close()

    answers, error = asyncio.run(main())
    assert answers == [work_out(c, pack) for c in cases]  # same entered case, input case and JSON bytes
    with pytest.raises(InputError) as here:
        work_out(bad, pack)
    assert isinstance(error, InputError) and error.problems == here.value.problems


def test_the_api_through_the_worker_pool_answers_and_stores_what_the_loop_does(tmp_path: Path,
                                                                             examples: list[Path],
                                                                             pack: KnowledgePack) -> None:
    env = make_env(tmp_path, pack, assess_workers=1)
    pooled = create_app(env.settings, db=env.db)  # no pack handed in: cases go to the worker processes
    assert pooled.state.revspine.assess is not None and env.app.state.revspine.assess is None
    case = json.loads(examples[0].read_text())
    answers = []
    for app in (env.app, pooled):
        with TestClient(app, headers={"Authorization": f"Bearer {env.token}"}) as api:
            pid = api.post("/api/patients", json={"display_name": "Pool Patient"}).json()["id"]
            r = api.post(f"/api/patients/{pid}/assess", json=case)
            assert r.status_code == 200, r.text
            stored = api.get(r.headers["Location"]).json()
            bad = api.post(f"/api/patients/{pid}/assess",
                           json={**case, "symptoms": {**case["symptoms"], "symptoms": ["not_a_symptom"]}})
            not_json = api.post(f"/api/patients/{pid}/assess", content=b'{"patient": ',
                                headers={"Content-Type": "application/json"})
            assert not_json.status_code == 422 and not_json.json()["errors"][0]["path"] == "(body)", not_json.text
            answers.append((orjson.loads(r.content), stored["assessment"], stored["input_case"], bad.status_code,
                            bad.json()["errors"]))
    env.db.dispose()
    loop, pool = answers
    assert pool[0] == pool[1]  # the answer is what was stored
    assert pool == loop
    assert pool[3] == 422


_ORPHAN = """
import asyncio, os
from revspine.assesspool import AssessBusy, AssessPool
from revspine.cdshooks.app import create_ehr_app
pool = AssessPool(1, [], None)
async def main():
    print(await pool.run(os.getpid), flush=True)
    await asyncio.sleep(600)
asyncio.run(main())
"""


@pytest.mark.slow
def test_a_worker_exits_when_the_serving_process_is_killed() -> None:
    """A serving process killed with -9 leaves no worker behind (revspine/procpool.py)."""
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(parent.stdout.readline())]
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
        if parent.stdout is not None:
            parent.stdout.close()
    assert not _still_running(workers)


def _still_running(pids: list[int]) -> list[int]:
    """Which of ``pids`` still run after up to 120 s (a process that just ended may still be reaped)."""
    deadline = time.monotonic() + 120
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "zombie" not in
                 Path(f"/proc/{p}/status").read_text().lower()]
    return alive


def _same_shape(text: str) -> str:
    """A hook answer without what differs from call to call: card and suggestion uuids, assessment ids."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
    return re.sub(r"/assessments/[0-9]+", "/assessments/ID", text)


def test_a_cds_hook_call_through_the_worker_pool_answers_and_stores_what_the_loop_does(tmp_path: Path,
                                                                                       pack: KnowledgePack) -> None:
    """The hook call's body goes to a worker as it came; the cards, errors (400 naming the field, 412) and
    the stored assessment behind the card link are the same as when the loop works the call out."""
    keys = ClientKeys()
    env = make_env(tmp_path, pack, assess_workers=1)
    on_loop = create_app(env.settings, db=env.db, pack=pack, cds_settings=cds_settings(keys))
    pooled = create_app(env.settings, db=env.db, cds_settings=cds_settings(keys))
    assert pooled.state.revspine.assess is not None
    aud = f"{BASE}/cds-services/revspine-patient-view"
    answers = []
    for app in (on_loop, pooled):
        def hook(body: dict[str, object], app: object = app) -> httpx.Response:
            return cds_call(app, "POST", "/cds-services/revspine-patient-view", json=body,
                            headers={"Authorization": f"Bearer {keys.token(aud)}"})
        r = hook(hook_request("patient-view", PID, prefetch_for(fbss_resources())))
        assert r.status_code == 200 and card_problems(r.json()) == [], r.text[:300]
        [card] = r.json()["cards"]
        link = card["links"][0]["url"]
        assert link.startswith(f"{BASE}/assessments/")
        with env.db.read() as s:
            row = s.get(AssessmentRow, int(link.rsplit("/", 1)[1]))
            assert row is not None
            stored = (row.input_case, row.result)
        no_patient = hook(hook_request("patient-view", ""))
        no_data = hook(hook_request("patient-view", PID))
        answers.append((_same_shape(r.text), stored, no_patient.status_code, no_patient.json(),
                        no_data.status_code, no_data.json()))
    env.db.dispose()
    loop, pool = answers
    assert pool == loop
    assert pool[2] == 400 and pool[3]["issue"][0]["expression"] == ["context.patientId"]
    assert pool[4] == 412


def test_data_fetched_from_the_fhir_server_is_worked_out_in_a_worker_as_here(pack: KnowledgePack) -> None:
    """When the prefetch lacks data, the serving process fetches it and hands the request and the data
    to a worker (both pickled): the worker answers the cards this process answers."""
    body = hook_request("patient-view", PID, prefetch_for(fbss_resources()))
    body["fhirServer"], body["fhirAuthorization"] = "https://ehr.test/fhir", {
        "access_token": "secret", "token_type": "Bearer", "expires_in": 300, "scope": "user/*.read",
        "subject": "cds"}
    req = parse_request(orjson.dumps(body))
    data = PatientData(resources={k: v for k, v in (req.prefetch or {}).items()}, missing=["allergies"])
    call = Call("revspine-patient-view", BASE, None, False, {"iss": "https://ehr.test"})

    async def main() -> tuple[object, object]:
        pool = AssessPool(1, [], None)
        try:
            return await pool.with_pack(answer_request, req, call, data), answer_request(pack, req, call, data)
        finally:
            pool.close()

    there, here = asyncio.run(main())
    assert isinstance(there, Answer) and isinstance(here, Answer)
    assert _same_shape(there.body.decode().replace(there.link, "LINK")) == _same_shape(
        here.body.decode().replace(here.link, "LINK"))
    assert there.worked == here.worked and len(there.cards) == len(here.cards) == 1


class _BusyPool:
    async def with_pack(self, *_: object) -> object:
        raise AssessBusy()


def test_a_hook_call_finding_the_workers_queue_full_is_answered_503_to_retry(pack: KnowledgePack) -> None:
    keys = ClientKeys()
    app = create_ehr_app(cds_settings(keys), pack=pack, assess_pool=_BusyPool())  # type: ignore[arg-type]
    aud = f"{BASE}/cds-services/revspine-patient-view"
    r = cds_call(app, "POST", "/cds-services/revspine-patient-view",
                 json=hook_request("patient-view", PID, prefetch_for(fbss_resources())),
                 headers={"Authorization": f"Bearer {keys.token(aud)}"})
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json()["issue"][0]["code"] == "transient"


@pytest.mark.slow
@pytest.mark.parametrize("app", ["revspine.cdshooks.app:create_ehr_app_from_env",
                                 "revspine.web.app:create_app_from_env"])
def test_a_server_stopped_by_sigterm_stops_its_workers_and_leaks_nothing(tmp_path: Path, app: str) -> None:
    """uvicorn ends the process by the signal it caught, after the app's shutdown, so no exit handler runs:
    the app stops its worker pools itself (before, `resource_tracker` reported 5 and 10 leaked semaphores)."""
    port = free_port()
    env = {**os.environ, "REVSPINE_DATA_DIR": str(tmp_path), "REVSPINE_ASSESS_WORKERS": "1",
           "REVSPINE_LOG_LEVEL": "WARNING", "REVSPINE_SECRET_KEY": "sigterm-test"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port",
                               str(port), "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300  # start-up on a loaded machine can take a minute or more
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        workers = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=120)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert "leaked" not in stderr, stderr
    assert not _still_running(workers)

"""Cases assessed in the assessment worker processes (revspine/assesspool.py) give the same answer, the
same errors and the same stored assessment as in the serving process; workers die with their parent."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from revspine.assesspool import AssessPool
from revspine.errors import InputError
from revspine.knowledge import KnowledgePack
from revspine.web import create_app
from revspine.workflow import work_out

from .conftest import make_env


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
from revspine.assesspool import AssessPool
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
    deadline = time.monotonic() + 120
    alive = list(workers)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "zombie" not in
                 Path(f"/proc/{p}/status").read_text().lower()]
    assert not alive

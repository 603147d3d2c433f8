"""Nothing a client sends can stall the event loop: sizes are checked before parsing and before
authentication; PDFs render in worker processes. (Latency under load: benchmarks/bench_stall.py.)"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from fastapi.testclient import TestClient

from revspine.cli.main import example_paths
from revspine.web.headlimit import HTTP_PROTOCOL, MAX_HEAD_BYTES
from revspine.web.pdfpool import PdfBusy, PdfPool

from ..fhir_samples import fbss_resources
from .conftest import make_env
from .live import serve

HUGE_TOKEN = "Bearer " + "A" * 8_000_000


@pytest.mark.parametrize("path", ["/api/patients", "/patients.json", "/cds-services", "/fhir/$assess"])
def test_an_8_mb_authorization_header_is_refused_before_parsing(anon, path):
    started = time.perf_counter()
    method = "POST" if path.startswith("/fhir") else "GET"
    r = anon.request(method, path, headers={"Authorization": HUGE_TOKEN})
    assert r.status_code == 431 and r.json()["errors"][0]["path"] == "Authorization"
    assert time.perf_counter() - started < 2.0  # (today it parsed the token first: ~2 s of loop time)


def test_an_authorization_header_just_over_8_kb_is_refused_and_under_it_is_read(anon):
    assert anon.get("/api/patients", headers={"Authorization": "Bearer " + "a" * 8200}).status_code == 431
    assert anon.get("/api/patients", headers={"Authorization": "Bearer rvs_" + "a" * 100}).status_code == 401


def test_a_body_over_the_limit_is_refused_before_authentication(anon):
    """Anonymous, 2 MB of case JSON: 413 (not 401 after reading and parsing it)."""
    big = b'{"x": "' + b"a" * 2_000_000 + b'"}'
    r = anon.post("/api/patients/1/assess", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(anon):
    def chunks():
        for _ in range(40):
            yield b"a" * 100_000

    r = anon.post("/api/patients/1/assess", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_a_streamed_body_within_the_limit_reaches_the_route_whole(api, examples):
    """Read ahead by the limit check (no Content-Length), the chunks still arrive as one valid case."""
    body = examples[0].read_bytes()
    pid = api.post("/api/patients", json={"display_name": "Streamed Patient"}).json()["id"]

    def chunks():
        for i in range(0, len(body), 700):
            yield body[i:i + 700]

    r = api.post(f"/api/patients/{pid}/assess", content=chunks(), headers={"Content-Type": "application/json"})
    whole = api.post(f"/api/patients/{pid}/assess", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == whole.status_code == 200, r.text[:300]
    stored = [api.get(x.headers["Location"]).json()["input_case"] for x in (r, whole)]
    assert stored[0] == stored[1]


def test_fhir_routes_take_larger_bodies(env, anon):
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in fbss_resources()] +
                       [{"resource": {"resourceType": "Basic", "id": f"pad{i}", "text": {"status": "generated",
                                      "div": "<div>" + "x" * 1000 + "</div>"}}} for i in range(1500)]}
    with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as c:
        r = c.post("/fhir/$assess", json=bundle)
    assert r.status_code == 200, r.text[:300]
    assert anon.post("/api/patients", json=bundle).status_code == 413


def _exchange(base: str, request: bytes) -> bytes:
    """Send raw request bytes; the answer's bytes (what arrived before the server closed, if it did)."""
    host, port = base.removeprefix("http://").split(":")
    got = b""
    with socket.create_connection((host, int(port)), timeout=120) as s:
        try:
            s.sendall(request)
            while b"\r\n\r\n" not in got or len(got) < 12:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except ConnectionError:  # the server may close before reading the rest of a refused head
            pass
    return got


def test_the_served_protocol_caps_the_request_head_but_not_a_body_sent_with_it(env):
    """`revspine serve` runs uvicorn with a 64 KB cap on the request head. A POST whose 300 KB body arrives
    in the same read as its head is still read whole (the cap counts only the head); a head over the cap
    is answered 431, or the connection is cut, and the server keeps answering."""
    case = json.loads(example_paths()[0].read_text())
    case["history_notes"] = "x" * 300_000  # not a case field: the API answers 422 naming it, having read it all
    body = json.dumps(case).encode()
    auth = f"Authorization: Bearer {env.token}\r\n"
    with serve(env.app, http=HTTP_PROTOCOL) as base:
        with TestClient(env.app, headers={"Authorization": f"Bearer {env.token}"}) as c:
            pid = c.post("/api/patients", json={"display_name": "Head Cap"}).json()["id"]
        answer = _exchange(base, (f"POST /api/patients/{pid}/assess HTTP/1.1\r\nHost: x\r\n{auth}"
                                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                                  "Connection: close\r\n\r\n").encode() + body)
        assert answer.startswith(b"HTTP/1.1 422"), answer[:200]
        huge = b"GET /api/patients HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"A" * (MAX_HEAD_BYTES + 10) + b"\r\n\r\n"
        answer = _exchange(base, huge)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert _exchange(base, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(
            b"HTTP/1.1 200")


def test_the_pdf_pool_renders_in_another_process_and_refuses_beyond_its_queue():
    async def main() -> tuple[bytes, type[BaseException] | None]:
        pool = PdfPool(workers=1, queue=0)
        try:
            first = asyncio.create_task(pool.render("<html><body><p>one</p></body></html>"))
            await asyncio.sleep(0)
            refused: type[BaseException] | None = None
            try:
                await pool.render("<p>two</p>")
            except PdfBusy as exc:
                refused = type(exc)
            return await first, refused
        finally:
            pool.close()

    pdf, refused = asyncio.run(main())
    assert pdf.startswith(b"%PDF") and refused is PdfBusy


def test_the_pdf_pool_survives_a_dead_worker_and_runs_at_the_servers_priority():
    """A killed worker is replaced and the pool still renders. Workers run at the serving process's priority
    (a niced worker starves on a busy machine)."""
    import os
    import signal

    async def main() -> tuple[bytes, bytes, set[int]]:
        pool = PdfPool(workers=1, queue=2)
        try:
            first = await pool.render("<p>one</p>")
            pids = set(pool.pids())  # the worker processes
            priorities = {os.getpriority(os.PRIO_PROCESS, pid) for pid in pids}
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            second = await pool.render("<p>two</p>")
            return first, second, priorities
        finally:
            pool.close()

    first, second, priorities = asyncio.run(main())
    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert priorities == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_settings_size_the_limits(tmp_path, pack):
    env = make_env(tmp_path, pack, max_body_bytes=1000)
    with TestClient(env.app) as c:
        assert c.post("/api/patients", content=b"x" * 1001).status_code == 413
        assert c.post("/api/patients", content=b"{}").status_code == 401
    env.db.dispose()


@pytest.fixture
def ehr_app(pack):
    from revspine.cdshooks.app import create_ehr_app

    from ..cds_support import ClientKeys
    from ..cds_support import settings as cds_settings

    return create_ehr_app(cds_settings(ClientKeys()), pack=pack, max_body_bytes=100_000)


@pytest.mark.parametrize("path", ["/cds-services/revspine-patient-view", "/cds-services/revspine-patient-view/feedback",
                                  "/fhir/$assess"])
def test_the_standalone_ehr_app_refuses_a_body_over_its_limit_before_authentication(ehr_app, path):
    """The standalone CDS Hooks / FHIR app holds every route to the body limit before the token check, as
    the web app does: 413, where it answered 401 after reading the whole body."""
    from ..cds_support import call

    big = b'{"x": "' + b"a" * 200_000 + b'"}'
    r = call(ehr_app, "POST", path, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["errors"][0]["path"] == "(body)"

    async def chunks():
        for _ in range(3):
            yield b"a" * 50_000

    streamed = call(ehr_app, "POST", path, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    token = call(ehr_app, "POST", path, content=b"{}", headers={"Authorization": HUGE_TOKEN})
    assert token.status_code == 431
    within = call(ehr_app, "POST", path, content=b"{}", headers={"Content-Type": "application/json"})
    assert within.status_code in (400, 401, 422)  # read and refused for what it is, not for its size

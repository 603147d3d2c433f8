"""A real uvicorn server on a free loopback port, in a thread, for browser tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

__all__ = ["free_port", "serve", "serve_process"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI, **config: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends (``config``: more uvicorn options); yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning",
                                           lifespan="off", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a busy machine is slow, not broken
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve_process(tmp_path: Path, url: str | None, *extra: str) -> tuple[subprocess.Popen[str], str, str]:
    """`revspine serve` (``extra``: more options) in a process of its own on a fresh data directory, with a
    user and a token; yields the server process, its base URL and the token once /healthz answers."""
    env = {**os.environ, "REVSPINE_DATA_DIR": str(tmp_path), "REVSPINE_LOG_LEVEL": "WARNING",
           "REVSPINE_SECRET_KEY": "kill-test"}
    if url:
        env["REVSPINE_DATABASE_URL"] = url
    exe = str(Path(sys.executable).with_name("revspine"))
    subprocess.run([exe, "user", "create", "--username", "k9", "--password-stdin"], env=env,
                   input="kill nine password\n", check=True, capture_output=True, text=True)
    token = subprocess.run([exe, "token", "create", "--username", "k9"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([exe, "serve", "--port", str(port), *extra], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return server, base, token
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
        time.sleep(0.2)

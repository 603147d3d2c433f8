"""Spark for the screen tests: a local[2] session, and a standalone cluster (one master, one worker) started on
127.0.0.1 with the ``spark-class`` launcher shipped in the PySpark package, so the screen takes a real cluster's path
(driver -> master -> worker -> executor JVM -> Python workers). Skips with the reason when Java is absent."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["java_or_skip", "standalone_cluster", "SPARK_CONF"]

# Small JVMs: the test machine has 2 cores shared with the rest of the suite.
SPARK_CONF = {"spark.driver.memory": "1g", "spark.executor.memory": "1g", "spark.sql.shuffle.partitions": "2",
              "spark.default.parallelism": "2"}


def java_or_skip() -> None:
    java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin")) if os.environ.get(
        "JAVA_HOME") else shutil.which("java")
    if java is None:
        pytest.skip("no Java runtime (java not on PATH, JAVA_HOME unset): Spark needs one; "
                    "apt-get install openjdk-17-jre-headless (.ci/run does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a daemon we started, and its children (the worker's executors), by its own process group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=10) as r:
            state = json.load(r)
    except OSError:
        return 0
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


@contextmanager
def standalone_cluster(workdir: Path, cores: int = 2, memory: str = "1g",
                       ready_within_s: float = 300.0) -> Iterator[str]:
    """Start a master and one worker on 127.0.0.1; yield the master URL; stop both (and the executors)."""
    java_or_skip()
    home = _spark_home()
    launcher = home / "bin" / "spark-class"
    if not launcher.exists():
        pytest.skip(f"the PySpark package has no {launcher}")
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_DAEMON_MEMORY": "384m",
           "SPARK_LOG_DIR": str(workdir), "SPARK_WORKER_DIR": str(workdir / "work"), "SPARK_NO_DAEMONIZE": "1"}
    port, ui, wui = _free_port(), _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    logs = [workdir / "master.log", workdir / "worker.log"]
    try:
        with logs[0].open("wb") as log:
            procs.append(subprocess.Popen(
                [str(launcher), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                 "--webui-port", str(ui)], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True))
        with logs[1].open("wb") as log:
            procs.append(subprocess.Popen(
                [str(launcher), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores",
                 str(cores), "--memory", memory, "--webui-port", str(wui), "--work-dir", str(workdir / "work")],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
        deadline = time.monotonic() + ready_within_s  # generous: the machine may be loaded
        while _alive_workers(ui) < 1:
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                tail = "\n".join(p.read_text(errors="replace")[-2000:] for p in logs if p.exists())
                raise RuntimeError(f"the standalone Spark cluster did not come up ({url}):\n{tail}")
            time.sleep(1)
        yield url
    finally:
        for p in reversed(procs):
            _stop(p)

"""One real MLflow server for a whole test run, shared by its pytest-xdist workers.

Used by the `mlflow_server` fixture of tests/conftest.py. Each worker used to start its own server: six
servers on two cores, each spending ~12 CPU-s on start-up (the `mlflow server` command importing MLflow,
then uvicorn importing the app). The first worker to ask starts the run's server under a file lock, in the
run's temporary folder; the others find it there. The server outlives the worker that started it (its own
session): the xdist controller stops it once every worker has finished (`stop_run_servers`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from sluicegate.services import MlflowServer

STATE = "server.json"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def shared_mlflow(home: Path, timeout: float) -> str:
    """The URL of the run's MLflow server at `home`, started now by the first caller of the run."""
    home.mkdir(parents=True, exist_ok=True)
    state = home / STATE
    with _locked(home.with_suffix(".lock")):
        if state.is_file():
            url = str(json.loads(state.read_text())["url"])
            if _answers(url):
                return url
        server = MlflowServer(home)
        url = server.start(timeout=timeout)
        state.write_text(json.dumps({"url": url, "pgid": server.pid}))
        return url


def stop_run_servers(run_dir: Path, grace: float = 10.0) -> None:
    """Stop every shared server started under `run_dir` (SIGTERM to its process group, SIGKILL after `grace`)."""
    groups = []
    for state in run_dir.glob(f"*/{STATE}"):
        with contextlib.suppress(OSError, ValueError, KeyError, ProcessLookupError):
            pgid = int(json.loads(state.read_text())["pgid"])
            os.killpg(pgid, signal.SIGTERM)
            groups.append(pgid)
    deadline = time.monotonic() + grace
    for pgid in groups:
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True

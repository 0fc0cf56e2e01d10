"""A started server counts as healthy only when it is the one answering on its port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sluicegate.services import _mlflow
from sluicegate.services._mlflow import MlflowServer
from sluicegate.services._port_owner import listening_pids
from sluicegate.services._process import PortTakenError, free_port, wait_http


@pytest.fixture
def foreign_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A port some other process (a plain HTTP server whose `/health` answers OK) answers on."""
    root = tmp_path_factory.mktemp("foreign")
    (root / "health").write_text("OK")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 30, proc)
        yield port
    finally:
        proc.kill()
        proc.wait()


def test_an_answer_from_another_process_is_not_health(foreign_port: int) -> None:
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(PortTakenError, match=f"port {foreign_port} is answered by another process"):
            wait_http(f"http://127.0.0.1:{foreign_port}/health", 10, ours)
    finally:
        ours.kill()
        ours.wait()


def test_mlflow_started_on_a_taken_free_port_moves_to_another(
    foreign_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter([foreign_port])
    monkeypatch.setattr(_mlflow, "free_port", lambda: next(drawn, None) or free_port())
    server = MlflowServer(tmp_path)
    assert server.port == foreign_port
    server.start()
    try:
        assert server.port != foreign_port
        assert httpx.get(f"{server.url}/health", timeout=10).text == "OK"
        assert server.pid is not None and listening_pids(server.port)
    finally:
        server.stop()


def test_a_chosen_port_that_is_taken_is_an_error(foreign_port: int, tmp_path: Path) -> None:
    with pytest.raises(PortTakenError):
        MlflowServer(tmp_path, port=foreign_port).start()

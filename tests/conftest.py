"""Fixtures shared by every test area: a real MLflow server, an isolated SLUICE_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sluicegate.services import MlflowServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (sqlite backend, local artifacts) for the whole session; yields its URL."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SLUICE_HOME for this test."""
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return home

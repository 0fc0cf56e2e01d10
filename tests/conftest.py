"""Fixtures shared by every test area: a real MLflow server, an isolated SLUICE_HOME, the local API."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.secrets import SecretStore
from sluicegate.services import MlflowServer
from sluicegate.stack import Part, StackContext
from sluicegate.store import Store

ROOT = Path(__file__).resolve().parent.parent

# Tests run side by side (pytest-xdist workers, other suites on the machine): EventSources of any stack a test
# starts, in-process or as `sluice up`, bind free ports instead of their manifests' fixed 12000-12002.
os.environ.setdefault("SLUICE_EVENTS_PORTS", "auto")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (sqlite backend, local artifacts) for the whole session; yields its URL."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real `mlflow server` running MLflow's basic-auth app, as `sluice up` starts it, for the whole session."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-auth"), auth=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SLUICE_HOME for this test."""
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return home


@dataclass
class LocalApi:
    url: str
    token: str
    home: Path
    store: Store


def local_stack_parts(home: Path, with_controller: bool, routes_of: Sequence[Part] = ()) -> Iterator[LocalApi]:
    """The API (with the routes of `routes_of`, which are not started) and optionally the workflow controller."""
    store = Store(home / "store.db")
    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token="backend-token-1")
    api = ApiServer()
    api.attach(routes_of)
    parts: list[Part] = [api]
    if with_controller:
        from sluicegate.engine import WorkflowController

        parts.append(WorkflowController())
    url = ""
    try:
        for part in parts:
            url = part.start(ctx).get("api", url)
        (home / "endpoints.json").write_text(f'{{"api": "{url}", "mlflow": "http://127.0.0.1:1"}}')
        (home / "token").write_text(ctx.token)
        yield LocalApi(url, ctx.token, home, store)
    finally:
        for part in reversed(parts):
            part.stop()
        store.close()


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The local stack's real Argo-compatible API on a free port, with the endpoints.json and token it writes."""
    yield from local_stack_parts(tmp_path_factory.mktemp("backend-home"), with_controller=False)


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The API plus the real workflow controller (the parts of `sluice up` that run workflows; no MLflow)."""
    yield from local_stack_parts(tmp_path_factory.mktemp("stack-home"), with_controller=True)

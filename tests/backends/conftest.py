"""Backend tests: cluster-only tests (`@pytest.mark.on_cluster`) are skipped unless SLUICE_TEST_CLUSTER is set.

SLUICE_TEST_CLUSTER names a kubeconfig context of a cluster with the Argo stack installed
(infra/terraform); SLUICE_TEST_ARGO_SERVER / SLUICE_TEST_ARGO_TOKEN its Argo Server. None exists here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.secrets import SecretStore
from sluicegate.stack import Part, StackContext
from sluicegate.store import Store


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SLUICE_TEST_CLUSTER"):
        return
    skip = pytest.mark.skip(reason="needs a cluster: set SLUICE_TEST_CLUSTER=<context> (see docs/cluster.md)")
    for item in items:
        if "on_cluster" in item.keywords:
            item.add_marker(skip)


@dataclass
class LocalApi:
    url: str
    token: str
    home: Path
    store: Store


def _stack(home: Path, with_controller: bool) -> Iterator[LocalApi]:
    store = Store(home / "store.db")
    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token="backend-token-1")
    parts: list[Part] = [ApiServer()]
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
    yield from _stack(tmp_path_factory.mktemp("backend-home"), with_controller=False)


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The API plus the real workflow controller (the parts of `sluice up` that run workflows; no MLflow)."""
    yield from _stack(tmp_path_factory.mktemp("stack-home"), with_controller=True)

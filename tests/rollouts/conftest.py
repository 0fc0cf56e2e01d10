from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "serve"))  # modelkit: real MLflow models
sys.path.insert(0, str(Path(__file__).parent))  # rolloutkit

from rolloutkit import Stack

from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.rollouts import PrometheusPart
from sluicegate.secrets import SecretStore
from sluicegate.store import Store


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real Prometheus (Debian's) scraping what the controller lists; yields (url, its SLUICE_HOME)."""
    home = tmp_path_factory.mktemp("home")
    part = PrometheusPart()
    ctx = StackContext(Settings(home=home), Store(home / "prom-store.db"), SecretStore(home), "t", {})
    url = part.start(ctx)["prometheus"]
    try:
        yield url, home
    finally:
        part.stop()


@pytest.fixture
def stack(prometheus: tuple[str, Path], mlflow_server: str, tmp_path: Path) -> Iterator[Stack]:
    url, home = prometheus
    s = Stack(Store(tmp_path / "store.db"), home, mlflow_server, url)
    try:
        yield s
    finally:
        for c in s.controllers:
            c.stop()

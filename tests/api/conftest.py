"""A real API server (uvicorn on a free 127.0.0.1 port) over a temp store, one per test module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sluicegate.api import ApiServer
from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.store import Store


@dataclass
class Api:
    url: str
    token: str
    store: Store
    home: Path

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token or self.token}"}, timeout=10)


@contextmanager
def served(store: Store, home: Path, token: str) -> Iterator[Api]:
    """An API server over `store` until the block ends (then the store is closed too)."""
    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token=token)
    server = ApiServer()
    url = server.start(ctx)["api"]
    try:
        yield Api(url, ctx.token, store, home)
    finally:
        server.stop()
        store.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("api-home")
    with served(Store(home / "store.db"), home, "test-token-123") as api:
        yield api

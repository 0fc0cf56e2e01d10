"""One real stack API (with the workflow controller) on a free port for the client's tests, per module."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hera.workflows.models import Workflow

from sluicegate.api import ApiServer
from sluicegate.client import StackClient, connect
from sluicegate.config import Settings
from sluicegate.engine import WorkflowController
from sluicegate.secrets import SecretStore
from sluicegate.stack import Part, StackContext
from sluicegate.store import Store

#: A template whose step waits on a suspend node until resumed, so actions find it running.
TEMPLATE = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "waits", "namespace": "sluicegate"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "greeting", "value": "hi"}]},
        "templates": [
            {"name": "main", "steps": [[{"name": "pause", "template": "pause"}], [{"name": "ok", "template": "ok"}]]},
            {"name": "pause", "suspend": {}},
            {"name": "ok", "container": {"image": "busybox", "command": ["sh", "-c"], "args": ["true"]}},
        ],
    },
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SLUICE_HOME with a running API + controller, its endpoints.json and token, as `sluice up` writes them."""
    home = tmp_path_factory.mktemp("client-home")
    store = Store(home / "store.db")
    ctx = StackContext(Settings(home=home, api_port=0), store, SecretStore(home), token="client-token-1")
    api = ApiServer()
    parts: list[Part] = [WorkflowController()]
    api.attach(parts)
    try:
        url = api.start(ctx)["api"]
        ctx.endpoints["api"] = url
        for part in parts:
            part.start(ctx)
        (home / "endpoints.json").write_text(f'{{"api": "{url}", "mlflow": "http://127.0.0.1:1"}}')
        (home / "token").write_text(ctx.token)
        yield home
    finally:
        for part in reversed(parts):
            part.stop()
        api.stop()
        store.close()


@pytest.fixture(scope="module")
def client(home: Path) -> StackClient:
    """The client `connect` finds in that SLUICE_HOME, with the test template applied."""
    found = connect(Settings(home=home))
    found.objects.apply(TEMPLATE)
    return found


def until(client: StackClient, name: str, check: Callable[[Workflow], bool], timeout: float = 60) -> Workflow:
    """The workflow as soon as `check` holds for it (polls the API)."""
    deadline = time.monotonic() + timeout
    while True:
        wf = client.workflows.get(name)
        if check(wf):
            return wf
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: {wf.status}")
        time.sleep(0.1)

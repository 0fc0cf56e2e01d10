"""A UI served over a seeded object store by a real uvicorn server, and a headless Debian Chromium."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.services import free_port
from sluicegate.store import Store
from sluicegate.ui import UiPart

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "ui-test-token"


def _node(wf: str, suffix: str, name: str, typ: str, phase: str, children: list[str], **extra: Any) -> dict[str, Any]:
    node_id = wf if not suffix else f"{wf}-{suffix}"
    return {
        "id": node_id,
        "name": f"{wf}.{name}" if suffix else wf,
        "displayName": name,
        "type": typ,
        "phase": phase,
        "children": [f"{wf}-{c}" for c in children],
        "startedAt": "2026-11-22T01:00:00Z",
        **extra,
    }


def seed(store: Store, home: Path) -> None:
    wf = "model-pipeline-abcde"
    nodes = [
        _node(wf, "", wf, "DAG", "Failed", ["1"], templateName="main"),
        _node(
            wf,
            "1",
            "train",
            "Pod",
            "Succeeded",
            ["2"],
            finishedAt="2026-11-22T01:01:05Z",
            outputs={
                "parameters": [
                    {"name": "run-id", "value": "0123456789abcdef"},
                    {"name": "model-uri", "value": "models:/breast-cancer/2"},
                    {"name": "model-version", "value": "2"},
                ],
                "artifacts": [{"name": "bundle", "s3": {"key": "sluicegate/x/bundle.tgz"}}],
            },
        ),
        _node(
            wf,
            "2",
            "evaluate",
            "Pod",
            "Failed",
            [],
            message="main: Error (exit code 1)",
            finishedAt="2026-11-22T01:01:12Z",
            inputs={
                "parameters": [
                    {"name": "min-improvement", "value": "0.01"},
                    {"name": "model-name", "value": "breast-cancer"},
                ]
            },
            outputs={"parameters": [{"name": "decision", "value": "reject"}]},
        ),
    ]
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "metadata": {
                "name": wf,
                "namespace": "sluicegate",
                "labels": {"workflows.argoproj.io/workflow-template": "model-pipeline"},
            },
            "spec": {
                "workflowTemplateRef": {"name": "model-pipeline"},
                "arguments": {"parameters": [{"name": "git-revision", "value": "d3adb33fcafe"}]},
            },
            "status": {
                "phase": "Failed",
                "startedAt": "2026-11-22T01:00:00Z",
                "finishedAt": "2026-11-22T01:01:12Z",
                "nodes": {n["id"]: n for n in nodes},
            },
        }
    )
    log = home / "logs" / "sluicegate" / wf / f"{wf}-2.log"
    log.parent.mkdir(parents=True)
    log.write_text("scoring candidate\ncandidate is worse than champion\n")
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "breast-cancer", "namespace": "sluicegate"},
            "spec": {
                "strategy": {
                    "canary": {
                        "steps": [
                            {"setWeight": 10},
                            {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                            {"setWeight": 50},
                        ]
                    }
                }
            },
            "status": {
                "phase": "Progressing",
                "stableModel": "models:/breast-cancer/1",
                "canaryModel": "models:/breast-cancer/2",
                "weight": 10,
                "currentStepIndex": 1,
                "canary": {"currentStepAnalysisRunStatus": {"name": "breast-cancer-2-1", "status": "Running"}},
                "history": [
                    {"revision": 1, "modelUri": "models:/breast-cancer/1"},
                    {"revision": 2, "modelUri": "models:/breast-cancer/2"},
                    {"revision": 3, "modelUri": "models:/breast-cancer/1"},
                    {"revision": 4, "modelUri": "models:/breast-cancer/2"},
                ],
            },
        }
    )
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "iris", "namespace": "sluicegate"},
            "spec": {"strategy": {"canary": {"steps": [{"setWeight": 10}]}}},
            "status": {
                "phase": "Progressing",
                "canaryModel": "models:/iris/1",
                "message": "WaitingForFirstModel: models:/iris/1 is not registered yet; run the pipeline",
            },
        }
    )
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {
                "name": "breast-cancer-2-1",
                "namespace": "sluicegate",
                "ownerReferences": [{"kind": "Rollout", "name": "breast-cancer"}],
            },
            "spec": {
                "args": [{"name": "minSuccessRate", "value": "0.99"}],
                "metrics": [
                    {
                        "name": "success-rate",
                        "successCondition": "len(result) > 0 && !isNaN(result[0]) && "
                        "result[0] >= asFloat(args.minSuccessRate)",
                        "provider": {"prometheus": {"query": "x"}},
                    }
                ],
            },
            "status": {
                "phase": "Running",
                "metricResults": [
                    {
                        "name": "success-rate",
                        "phase": "Running",
                        "measurements": [
                            {"phase": "Inconclusive", "value": "[NaN]", "finishedAt": "2026-11-22T01:02:00Z"},
                            {"phase": "Successful", "value": "[0.998]", "finishedAt": "2026-11-22T01:02:30Z"},
                            {"phase": "Successful", "value": "[1]", "finishedAt": "2026-11-22T01:03:00Z"},
                        ],
                    }
                ],
            },
        }
    )
    store.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "EventSource",
            "metadata": {"name": "github", "namespace": "sluicegate"},
            "spec": {"github": {"push": {"webhook": {"endpoint": "/push", "port": "12000", "method": "POST"}}}},
        }
    )
    store.create(
        {
            "apiVersion": "sluicegate.io/v1alpha1",
            "kind": "Event",
            "metadata": {"name": "github-push-d1", "namespace": "sluicegate"},
            "spec": {"context": {"source": "github", "subject": "push", "id": "d1", "time": "2026-11-22T01:05:00Z"}},
            "status": {"phase": "Ignored", "message": "no Sensor depends on github/push", "triggers": []},
        }
    )


#: Where the fixture's event source "really" listens: a remapped port, as SLUICE_EVENTSOURCE_PORTS=auto does.
BOUND_PUSH = "http://127.0.0.1:41234/push"


@dataclass
class UiStack:
    """A UI served over a seeded store: its base URL, the store, SLUICE_HOME."""

    url: str
    store: Store
    home: Path


@contextmanager
def serve_ui(home: Path, store: Store | None = None) -> Iterator[UiStack]:
    """Seed a store in `home` (or take `store` as it is, e.g. a running engine's) and serve the UI over it."""
    own = store is None
    if store is None:
        store = Store(home / "store.db")
        seed(store, home)
    port = free_port()
    ctx = StackContext(
        settings=Settings(home=home, api_port=port),
        store=store,
        secrets=SecretStore(home),
        token=TOKEN,
        endpoints={
            "api": f"http://127.0.0.1:{port}",
            "mlflow": "http://127.0.0.1:5999",
            "eventsources": {"github": BOUND_PUSH},
        },
    )
    part = UiPart()
    app = Starlette(routes=part.routes())
    part.start(ctx)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield UiStack(f"http://127.0.0.1:{port}", store, home)
    finally:
        server.should_exit = True
        thread.join(10)
        if own:
            store.close()


@pytest.fixture(scope="module")
def ui_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiStack]:
    with serve_ui(tmp_path_factory.mktemp("ui-home")) as stack:
        yield stack


@pytest.fixture(scope="module")
def ui_server(ui_stack: UiStack) -> str:
    return ui_stack.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()

"""Helpers to run workflows through the real controller without the API, for tests and notebooks.

`run_workflow(doc, templates=[...])` stores the given WorkflowTemplates and the Workflow in a temporary
store, runs a `WorkflowController` over it until the workflow finishes, and returns the final document.
`LocalEngine` keeps one controller running for several workflows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from sluicegate.config import Settings
from sluicegate.engine._controller import WorkflowController
from sluicegate.errors import ServiceError
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.store import Store

__all__ = ["LocalEngine", "run_workflow"]

_DONE = ("Succeeded", "Failed", "Error")


class LocalEngine:
    """A store plus a running controller under `home` (a temporary folder when None); use as a context manager.

    `envs`: the built environments' folder it uses (by default the machine's, as `sluice up`).
    """

    def __init__(self, home: Path | None = None, envs: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="sluice-engine-") if home is None else None
        self.home = Path(self._tmp.name) if self._tmp is not None else Path(home)  # type: ignore[arg-type]
        self.settings = Settings(home=self.home) if envs is None else Settings(home=self.home, envs_dir=envs)
        self.store = Store(self.settings.store_file)
        self.controller = WorkflowController()

    def __enter__(self) -> LocalEngine:
        ctx = StackContext(self.settings, self.store, SecretStore(self.home), token="test")
        self.controller.start(ctx)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.controller.stop()
        self.store.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def submit(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Store a Workflow (phase Running, as the API does on accept)."""
        doc = dict(doc)
        doc.setdefault("kind", "Workflow")
        doc.setdefault("apiVersion", "argoproj.io/v1alpha1")
        meta = dict(doc.get("metadata") or {})
        meta.setdefault("namespace", "argo")
        if not meta.get("name") and not meta.get("generateName"):
            meta["generateName"] = "wf-"
        doc["metadata"] = meta
        doc["status"] = {"phase": "Running"}
        return self.store.create(doc)

    def until(
        self, doc: dict[str, Any], check: Callable[[dict[str, Any]], bool], timeout: float = 60.0
    ) -> dict[str, Any]:
        """The workflow's stored document as soon as `check` holds for it (polls every 50 ms)."""
        meta = doc["metadata"]
        deadline = time.time() + timeout
        current = self.store.get("Workflow", meta["namespace"], meta["name"])
        while not check(current):
            if time.time() > deadline:
                raise ServiceError(
                    f"workflow {meta['name']} did not reach the condition in {timeout}s: {current.get('status')}",
                    where="sluicegate.engine.testing",
                )
            time.sleep(0.05)
            current = self.store.get("Workflow", meta["namespace"], meta["name"])
        return current

    def wait(self, doc: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        """Block until the workflow is Succeeded/Failed/Error; returns it."""
        meta = doc["metadata"]
        deadline = time.time() + timeout
        since = 0
        while time.time() < deadline:
            current = self.store.get("Workflow", meta["namespace"], meta["name"])
            if (current.get("status") or {}).get("phase") in _DONE:
                return current
            # changes after the version just read: from 0, a store whose history was compacted re-lists everything
            since = max(since, int(current["metadata"].get("resourceVersion") or 0))
            changes = self.store.wait(since, 0.5, kinds=("Workflow",))
            since = changes[-1].seq if changes else since
        raise ServiceError(f"workflow {meta['name']} did not finish in {timeout}s", where="sluicegate.engine.testing")


def run_workflow(
    doc: dict[str, Any], templates: list[dict[str, Any]] | None = None, timeout: float = 60.0, home: Path | None = None
) -> dict[str, Any]:
    """Run one workflow to the end with a fresh controller and return its final document."""
    with LocalEngine(home) as engine:
        for tmpl in templates or []:
            tmpl = dict(tmpl)
            tmpl.setdefault("kind", "WorkflowTemplate")
            tmpl.setdefault("metadata", {}).setdefault(
                "namespace", (doc.get("metadata") or {}).get("namespace", "argo")
            )
            engine.store.apply(tmpl)
        return engine.wait(engine.submit(doc), timeout)
